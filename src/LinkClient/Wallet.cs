namespace CheckoutAgent.Link;

/// <summary>Whether the client is logged in to Link (<c>auth status</c>).</summary>
/// <param name="Authenticated">True when calls will be authorized.</param>
/// <param name="CredentialsPath">The auth file in use, if any.</param>
/// <param name="Scope">Granted scopes, when known.</param>
/// <param name="TokenType">Usually <c>Bearer</c>.</param>
public sealed record AuthStatus(bool Authenticated, string? CredentialsPath, string? Scope, string? TokenType);

/// <summary>A postal address in Link's shape.</summary>
public sealed record PostalAddress
{
    /// <value>Recipient name.</value>
    public string? Name { get; init; }
    /// <value>Street line 1.</value>
    public string? Line1 { get; init; }
    /// <value>Street line 2.</value>
    public string? Line2 { get; init; }
    /// <value>City or town (<c>locality</c>).</value>
    public string? Locality { get; init; }
    /// <value>District or neighbourhood (<c>dependent_locality</c>).</value>
    public string? DependentLocality { get; init; }
    /// <value>State, province or region (<c>administrative_area</c>).</value>
    public string? AdministrativeArea { get; init; }
    /// <value>Postal code.</value>
    public string? PostalCode { get; init; }
    /// <value>Sorting code, where used.</value>
    public string? SortingCode { get; init; }
    /// <value>Two-letter country code.</value>
    public string? CountryCode { get; init; }
}

/// <summary>A saved shipping address in the person's wallet.</summary>
/// <param name="Id">Link's id for it.</param>
/// <param name="IsDefault">The person's default address.</param>
/// <param name="Nickname">Label the person gave it.</param>
/// <param name="Address">The address itself.</param>
public sealed record ShippingAddress(string Id, bool IsDefault, string? Nickname, PostalAddress Address);

/// <summary>Who the wallet belongs to (<c>user-info retrieve</c>); any field may be unknown.</summary>
public sealed record UserInfo(string? Email, string? Name, string? FirstName, string? LastName, string? Phone);
