using System.Diagnostics.CodeAnalysis;
using CheckoutAgent.Link.Cards;
using Serilog.Core;
using Serilog.Events;

namespace CheckoutAgent.Worker.Observability;

/// <summary>Makes <c>{@Card}</c> log a <see cref="CardSecret"/> as <c>visa •••• 4242</c>, never its properties.</summary>
public sealed class CardSecretDestructuringPolicy : IDestructuringPolicy
{
    /// <inheritdoc />
    public bool TryDestructure(object value, ILogEventPropertyValueFactory propertyValueFactory, [NotNullWhen(true)] out LogEventPropertyValue? result)
    {
        if (value is CardSecret card)
        {
            result = new ScalarValue(card.ToString());
            return true;
        }
        result = null;
        return false;
    }
}
