using System.CommandLine;
using System.Numerics;

namespace CheckoutAgent.Worker.Cli;

internal static class CommonOptions
{
    public static Option<string> DataDirectory() => new("--data-dir")
    {
        Description = "Folder for the database, logs and receipt screenshots (default ./.checkout-agent).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Worker__DataDirectory") is { Length: > 0 } configured ? configured : ".checkout-agent",
    };

    /// <summary>Refuses a value outside <paramref name="min"/>..<paramref name="max"/> (both allowed) with <paramref name="error"/>.</summary>
    public static Option<T> InRange<T>(this Option<T> option, T min, T max, string error)
        where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (value < min || value > max)
            {
                result.AddError(error);
            }
        });
        return option;
    }
}
