using CheckoutAgent.Link;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace CheckoutAgent.Worker.Observability;

/// <summary>
/// The second wall in front of every sink: rewrites each event so that any Luhn-valid 13-19 digit run (spaces or
/// dashes allowed) in the message template, in any property (however deeply nested) or in the exception text is
/// replaced by <c>•••• 1234</c>. Card values are never meant to reach a log at all; this catches the mistake when
/// one does.
/// </summary>
public sealed class MaskingSink : ILogEventSink, IDisposable
{
    private static readonly MessageTemplateParser Parser = new();
    private readonly ILogEventSink _inner;

    /// <summary>Wraps <paramref name="inner"/>, which receives only masked events (and is disposed with this sink).</summary>
    public MaskingSink(ILogEventSink inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <inheritdoc />
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        _inner.Emit(Mask(logEvent));
    }

    /// <summary>The event with card-like numbers masked everywhere; the same instance when nothing needed masking.</summary>
    public static LogEvent Mask(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var changed = false;
        var templateText = CardNumberMasker.Mask(logEvent.MessageTemplate.Text);
        var template = logEvent.MessageTemplate;
        if (!string.Equals(templateText, template.Text, StringComparison.Ordinal))
        {
            template = Parser.Parse(templateText);
            changed = true;
        }

        var properties = new List<LogEventProperty>(logEvent.Properties.Count);
        foreach (var (name, value) in logEvent.Properties)
        {
            var masked = MaskValue(value);
            changed |= !ReferenceEquals(masked, value);
            properties.Add(new LogEventProperty(name, masked));
        }

        var exception = logEvent.Exception;
        if (exception is not null)
        {
            var text = exception.ToString();
            var maskedText = CardNumberMasker.Mask(text);
            if (!string.Equals(text, maskedText, StringComparison.Ordinal))
            {
                exception = new MaskedException(exception.GetType().FullName ?? "Exception", CardNumberMasker.Mask(exception.Message), maskedText);
                changed = true;
            }
        }

        return changed ? new LogEvent(logEvent.Timestamp, logEvent.Level, exception, template, properties) : logEvent;
    }

    /// <inheritdoc />
    public void Dispose() => (_inner as IDisposable)?.Dispose();

    private static LogEventPropertyValue MaskValue(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: string s }:
                var masked = CardNumberMasker.Mask(s);
                return string.Equals(masked, s, StringComparison.Ordinal) ? value : new ScalarValue(masked);
            case ScalarValue { Value: long or ulong or decimal or System.Numerics.BigInteger } number:
                // A card number logged as a number still renders as its digits.
                var digits = Convert.ToString(number.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                var maskedDigits = CardNumberMasker.Mask(digits);
                return string.Equals(maskedDigits, digits, StringComparison.Ordinal) ? value : new ScalarValue(maskedDigits);
            case ScalarValue:
                return value;
            case SequenceValue sequence:
            {
                var elements = sequence.Elements.Select(MaskValue).ToList();
                return elements.Where((e, i) => !ReferenceEquals(e, sequence.Elements[i])).Any() ? new SequenceValue(elements) : value;
            }
            case StructureValue structure:
            {
                var props = structure.Properties.Select(p => new LogEventProperty(p.Name, MaskValue(p.Value))).ToList();
                var any = props.Where((p, i) => !ReferenceEquals(p.Value, structure.Properties[i].Value)).Any();
                return any ? new StructureValue(props, structure.TypeTag) : value;
            }
            case DictionaryValue dictionary:
            {
                var any = false;
                var pairs = new List<KeyValuePair<ScalarValue, LogEventPropertyValue>>();
                foreach (var (key, element) in dictionary.Elements)
                {
                    var maskedKey = (ScalarValue)MaskValue(key);
                    var maskedElement = MaskValue(element);
                    any |= !ReferenceEquals(maskedKey, key) || !ReferenceEquals(maskedElement, element);
                    pairs.Add(new(maskedKey, maskedElement));
                }
                return any ? new DictionaryValue(pairs) : value;
            }
            default:
                return value;
        }
    }

    /// <summary>Stands in for an exception whose text held a card-like number: same type name, masked text.</summary>
    private sealed class MaskedException(string typeName, string message, string text) : Exception(message)
    {
        public string OriginalType { get; } = typeName;

        public override string ToString() => text;
    }
}
