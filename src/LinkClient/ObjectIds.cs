using System.Security.Cryptography;

namespace CheckoutAgent.Link;

/// <summary>
/// Random object ids in the shape Stripe and Link use: a prefix and 24 base-62 characters (<c>lsrq_4fZq…</c>).
/// Base 62, unlike hex, practically never yields a run of 13+ digits, so an id is not mistaken for a card number by
/// the maskers and the CLI transport's argument check. Used for the sandbox's objects and the worker's own (purchases,
/// agents, schedules, webhook events) and secrets alike.
/// </summary>
public static class ObjectIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new id: <paramref name="prefix"/> followed by <paramref name="length"/> random base-62 characters.</summary>
    public static string New(string prefix, int length = 24) => prefix + RandomNumberGenerator.GetString(Alphabet, length);
}
