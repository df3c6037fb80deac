namespace CheckoutAgent.Link;

/// <summary>Filters and paging for <see cref="ILinkClient.ListTransactionsAsync"/>; every field is optional.</summary>
public sealed class TransactionQuery
{
    /// <value>At most this many (1..100).</value>
    public int? Limit { get; init; }
    /// <value>Page forward after this transaction id.</value>
    public string? StartingAfter { get; init; }
    /// <value>Page backward before this transaction id.</value>
    public string? EndingBefore { get; init; }
    /// <value>Earliest date, inclusive (<c>YYYY-MM-DD</c>).</value>
    public DateOnly? DateStart { get; init; }
    /// <value>Latest date, inclusive (<c>YYYY-MM-DD</c>).</value>
    public DateOnly? DateEnd { get; init; }
    /// <value>Only this category.</value>
    public string? Category { get; init; }
    /// <value><c>link</c> or <c>external_connection</c>.</value>
    public string? Origin { get; init; }
}

/// <summary>One movement of money in the person's wallet.</summary>
public sealed record Transaction
{
    /// <value>Link's id.</value>
    public required string Id { get; init; }
    /// <value>The funding source, if known.</value>
    public string? SourceId { get; init; }
    /// <value>Amount in the smallest currency unit.</value>
    public long Amount { get; init; }
    /// <value>Lower-case currency.</value>
    public required string Currency { get; init; }
    /// <value>When it happened, as Link reports it.</value>
    public required string CreatedDate { get; init; }
    /// <value>Merchant or description text.</value>
    public string? Description { get; init; }
    /// <value><c>link</c> or <c>external_connection</c>.</value>
    public required string Origin { get; init; }
    /// <value>Spending category, if any.</value>
    public string? Category { get; init; }
    /// <value>e.g. <c>succeeded</c>, <c>pending</c>.</value>
    public required string Status { get; init; }
}

/// <summary>A page of transactions.</summary>
/// <param name="Items">Newest first.</param>
/// <param name="HasMore">True when another page follows.</param>
public sealed record TransactionPage(IReadOnlyList<Transaction> Items, bool HasMore);
