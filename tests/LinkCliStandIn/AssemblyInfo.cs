// The stand-in writes 0600 files (auth store, card output): POSIX permissions only, as on the machines link-cli runs on.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
