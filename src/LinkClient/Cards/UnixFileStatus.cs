using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CheckoutAgent.Link.Cards;

/// <summary>
/// Owner, type and mode of an open file, read with Linux <c>statx</c> on the file descriptor. <c>struct statx</c> has
/// the same layout on every architecture (unlike <c>struct stat</c>), so one P/Invoke serves x64 and arm64 alike.
/// </summary>
internal readonly record struct UnixFileStatus(uint OwnerId, uint Mode)
{
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxUid = 0x8;
    private const int StatxBufferSize = 256;
    private const uint FileTypeMask = 0xF000;
    private const uint RegularFile = 0x8000;

    /// <value>True for a regular file (not a FIFO, device, socket or directory).</value>
    public bool IsRegularFile => (Mode & FileTypeMask) == RegularFile;

    /// <summary>The effective user id of this process.</summary>
    public static uint CurrentUserId => NativeMethods.geteuid();

    /// <summary>Reads the status of the file behind <paramref name="handle"/>; null when the kernel or C library
    /// cannot say (no <c>statx</c>), so callers can fail closed.</summary>
    public static UnixFileStatus? Of(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var buffer = new byte[StatxBufferSize];
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            if (NativeMethods.statx(fd, "", AtEmptyPath, StatxType | StatxMode | StatxUid, buffer) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        catch (DllNotFoundException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        var mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(0, 4));
        if ((mask & (StatxType | StatxMode | StatxUid)) != (StatxType | StatxMode | StatxUid))
        {
            return null;
        }
        var uid = ReadUInt32(buffer, 20);
        var mode = ReadUInt16(buffer, 28);
        return new UnixFileStatus(uid, mode);
    }

    private static uint ReadUInt32(byte[] buffer, int offset) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset, 4))
        : BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(offset, 4));

    private static ushort ReadUInt16(byte[] buffer, int offset) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset, 2))
        : BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(offset, 2));

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

        [DllImport("libc")]
        internal static extern uint geteuid();
    }
}
