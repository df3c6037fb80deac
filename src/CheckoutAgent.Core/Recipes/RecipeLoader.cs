using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CheckoutAgent.Core.Recipes;

/// <summary>A recipe that cannot be loaded: the message starts with <c>file:line:</c> and names the step.</summary>
/// <remarks>Messages quote the recipe's text; anything in them shaped like a card number is masked.</remarks>
public sealed class RecipeException : Exception
{
    public RecipeException(string message) : base(CheckoutAgent.Link.CardNumberMasker.Mask(message)) { }
    public RecipeException() { }
    public RecipeException(string message, Exception inner) : base(CheckoutAgent.Link.CardNumberMasker.Mask(message), inner) { }
}

/// <summary>
/// Loads and checks a recipe (YAML, <c>recipe: 1</c>). Checking happens here, at load, so that a recipe that could put a
/// card value anywhere but a form field, or that has no final click or no success outcome, never starts a purchase.
/// </summary>
public static class RecipeLoader
{
    private static readonly string[] LocatorKeys = ["role", "label", "text", "test_id", "css"];
    private static readonly string[] ScopeKeys = ["frame", "shadow"];
    private static readonly string[] FrameKeys = ["title", "name", "src", "css"];
    private static readonly string[] WaitKeys = ["url", "network_idle"];

    /// <summary>Every step kind, in the order the guide lists them.</summary>
    public static readonly IReadOnlyList<string> StepKinds = ["navigate", "click", "fill", "select", "check", "wait_for", "assert_total", "submit", "if"];

    /// <summary>Keys a step may carry beside its action: its timeout, optional, and an if's branches.</summary>
    public static readonly IReadOnlyList<string> StepModifiers = ["timeout", "optional", "steps", "else"];

    private static string KnownKinds => string.Join(", ", StepKinds);

    /// <summary>Loads <c>NAME.yaml</c> (or <c>.yml</c>) from a recipes folder.</summary>
    public static Recipe LoadByName(string recipesDirectory, string name)
    {
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw new RecipeException($"recipe name '{name}' is invalid: use letters, digits, '-' and '_' (the file name without .yaml)");
        }
        foreach (var extension in new[] { ".yaml", ".yml" })
        {
            var path = Path.Combine(recipesDirectory, name + extension);
            if (File.Exists(path))
            {
                return Load(path);
            }
        }
        throw new RecipeException($"recipe '{name}' not found: no {name}.yaml in {recipesDirectory}");
    }

    public static Recipe Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses recipe text; <paramref name="fileName"/> is used in messages only.</summary>
    public static Recipe Parse(string yaml, string fileName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RecipeException($"{fileName}:{ex.Start.Line}: not valid YAML: {ex.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, on some malformed plain scalars (found by fuzzing).
            throw new RecipeException($"{fileName}:1: not valid YAML: a value could not be read; check quoting and indentation");
        }
        catch (ArgumentException)
        {
            // YamlDotNet's representation model throws this, without a position, for a key repeated in one mapping.
            throw new RecipeException($"{fileName}:1: not valid YAML: a key appears twice in the same mapping; keep one");
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new RecipeException($"{fileName}:1: a recipe is one YAML mapping with recipe, merchant, steps and outcomes");
        }
        var reader = new NodeReader(fileName);
        reader.CheckKeys(root, "recipe", ["recipe", "merchant", "card_origins", "account_origins", "block", "dismiss", "steps", "outcomes"]);

        var version = reader.RequiredScalar(root, "recipe", "the top level");
        if (version.Value != "1")
        {
            throw reader.Error(version, $"unsupported recipe version '{version.Value}': this worker reads 'recipe: 1'");
        }

        var merchant = reader.RequiredMapping(root, "merchant", "the top level");
        reader.CheckKeys(merchant, "merchant", ["name", "url"]);
        var merchantName = reader.RequiredScalar(merchant, "name", "merchant").Value!;
        var merchantUrlNode = reader.RequiredScalar(merchant, "url", "merchant");
        if (!Uri.TryCreate(merchantUrlNode.Value, UriKind.Absolute, out var merchantUri) || merchantUri.Scheme is not ("http" or "https"))
        {
            throw reader.Error(merchantUrlNode, "merchant.url must be an absolute http or https URL, e.g. https://shop.example");
        }

        var cardOrigins = Origins(reader, root, "card_origins", "card");
        var accountOrigins = Origins(reader, root, "account_origins", "account");

        var block = Block(reader, root, merchantUri, cardOrigins);

        var dismiss = new List<LocatorSpec>();
        if (root.Children.TryGetValue(new YamlScalarNode("dismiss"), out var dismissNode))
        {
            if (dismissNode is not YamlSequenceNode dismissList || dismissList.Children.Count == 0)
            {
                throw reader.Error(dismissNode, "dismiss must be a list of locators, e.g. [{ role: button, name: Accept all }, { role: button, name: No thanks }]");
            }
            foreach (var entry in dismissList)
            {
                dismiss.Add(entry is YamlMappingNode map
                    ? reader.Locator(map, "dismiss entry", [])
                    : throw reader.Error(entry, "a dismiss entry is a locator, e.g. { role: button, name: Accept all }"));
            }
        }

        var stepsNode = reader.RequiredSequence(root, "steps", "the top level");
        var counter = new StepCounter();
        var steps = ParseSteps(reader, stepsNode, counter, inBranch: false);
        var submits = steps.OfType<SubmitStep>().ToList();
        if (submits.Count != 1)
        {
            throw reader.Error(stepsNode, submits.Count == 0
                ? "steps have no submit step: exactly one step must be the final 'submit' click"
                : $"steps have {submits.Count} submit steps (steps {string.Join(", ", submits.Select(s => s.Number))}): exactly one is allowed");
        }
        if (steps[^1] is not SubmitStep)
        {
            throw reader.Error(stepsNode, $"step {submits[0].Number} (submit) must be the last step: nothing may run after the final click but the outcomes");
        }

        var outcomesNode = reader.RequiredMapping(root, "outcomes", "the top level");
        var outcomes = new List<RecipeOutcome>();
        foreach (var (keyNode, valueNode) in outcomesNode.Children)
        {
            var code = reader.Scalar(keyNode, "outcome code");
            if (!OutcomeCodes.All.Contains(code))
            {
                throw reader.Error(keyNode, $"unknown outcome '{code}'; known: {string.Join(", ", OutcomeCodes.All.Order(StringComparer.Ordinal))}");
            }
            if (valueNode is not YamlMappingNode outcome)
            {
                throw reader.Error(valueNode, $"outcome {code} must be a mapping with 'when' (and optional 'extract')");
            }
            reader.CheckKeys(outcome, $"outcome {code}", ["when", "extract"]);
            var when = reader.Locator(reader.RequiredMapping(outcome, "when", $"outcome {code}"), $"outcome {code}", []);
            var extract = new Dictionary<string, LocatorSpec>(StringComparer.Ordinal);
            if (outcome.Children.TryGetValue(new YamlScalarNode("extract"), out var extractNode))
            {
                if (extractNode is not YamlMappingNode extractMap)
                {
                    throw reader.Error(extractNode, $"outcome {code}: extract must map names (order_number, charged_total) to locators");
                }
                foreach (var (nameNode, locatorNode) in extractMap.Children)
                {
                    var name = reader.Scalar(nameNode, "extract name");
                    if (name is not ("order_number" or "charged_total"))
                    {
                        throw reader.Error(nameNode, $"outcome {code}: unknown extract '{name}'; known: order_number, charged_total");
                    }
                    if (locatorNode is not YamlMappingNode locatorMap)
                    {
                        throw reader.Error(locatorNode, $"outcome {code}: extract {name} must be a locator mapping");
                    }
                    extract[name] = reader.Locator(locatorMap, $"outcome {code} extract {name}", []);
                }
            }
            outcomes.Add(new RecipeOutcome(code, (int)keyNode.Start.Line, when, extract));
        }
        if (!outcomes.Any(o => o.Code == OutcomeCodes.Succeeded))
        {
            throw reader.Error(outcomesNode, "outcomes have no 'succeeded' entry: say how the confirmation page is recognised");
        }

        return new Recipe(Path.GetFileNameWithoutExtension(fileName), fileName, merchantName, merchantUri.GetLeftPart(UriPartial.Authority),
            cardOrigins, steps, outcomes)
        {
            AccountOrigins = accountOrigins,
            Dismiss = dismiss,
            Block = block,
        };
    }

    /// <summary>
    /// The <c>block:</c> list. A host pattern may not cover the merchant's own host or a card origin's: the checkout's
    /// pages and card fields must load (the runner also never blocks card origins, whatever the list says).
    /// </summary>
    private static ResourceBlock Block(NodeReader reader, YamlMappingNode root, Uri merchant, IReadOnlyList<string> cardOrigins)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode("block"), out var blockNode))
        {
            return ResourceBlock.None;
        }
        if (blockNode is not YamlSequenceNode entries || entries.Children.Count == 0)
        {
            throw reader.Error(blockNode, "block must be a list of resource kinds and hosts, e.g. [images, fonts, media, \"*.doubleclick.net\"]");
        }
        var types = new List<string>();
        var hosts = new List<string>();
        foreach (var entry in entries)
        {
            var value = reader.Scalar(entry, "block entry");
            if (ResourceBlock.Kinds.TryGetValue(value, out var type))
            {
                types.Add(type);
                continue;
            }
            var bare = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
            if (Uri.CheckHostName(bare) != UriHostNameType.Dns || !bare.Contains('.', StringComparison.Ordinal))
            {
                throw reader.Error(entry, $"block entry '{value}' is neither a resource kind ({string.Join(", ", ResourceBlock.Kinds.Keys)}) nor a host like tracker.example or *.tracker.example");
            }
            var covered = cardOrigins.Where(o => o != "merchant").Select(o => new Uri(o).Host).Prepend(merchant.Host)
                .FirstOrDefault(host => ResourceBlock.HostMatches(value, host));
            if (covered is not null)
            {
                throw reader.Error(entry, covered == merchant.Host
                    ? $"block entry '{value}' covers the merchant's own host {covered}: its checkout pages would not load"
                    : $"block entry '{value}' covers {covered}, a card origin: card fields would not load (card origins are never blocked)");
            }
            hosts.Add(value.ToLowerInvariant());
        }
        return new ResourceBlock(types.Distinct(StringComparer.Ordinal).ToList(), hosts.Distinct(StringComparer.Ordinal).ToList());
    }

    private static List<string> Origins(NodeReader reader, YamlMappingNode root, string key, string what)
    {
        var origins = new List<string>();
        if (root.Children.TryGetValue(new YamlScalarNode(key), out var originsNode))
        {
            if (originsNode is not YamlSequenceNode originsList)
            {
                throw reader.Error(originsNode, $"{key} must be a list of origins (e.g. [merchant, https://accounts.shop.example])");
            }
            foreach (var origin in originsList)
            {
                var value = reader.Scalar(origin, $"{key} entry");
                if (value != "merchant" && !(Uri.TryCreate(value, UriKind.Absolute, out var o) && o.AbsolutePath == "/"))
                {
                    throw reader.Error(origin, $"{key} entry '{value}' must be 'merchant' or an origin like https://js.stripe.com ({what} values go only to these documents)");
                }
                origins.Add(value == "merchant" ? value : new Uri(value).GetLeftPart(UriPartial.Authority));
            }
        }
        if (origins.Count == 0)
        {
            origins.Add("merchant");
        }
        return origins;
    }

    /// <summary>Numbers steps depth-first, in document order, as people count them and as failure codes name them.</summary>
    private sealed class StepCounter
    {
        public int Next() => ++_last;
        private int _last;
    }

    private static List<RecipeStep> ParseSteps(NodeReader reader, YamlSequenceNode list, StepCounter counter, bool inBranch)
    {
        var steps = new List<RecipeStep>();
        foreach (var stepNode in list)
        {
            var step = ParseStep(reader, stepNode, counter);
            if (step is SubmitStep && inBranch)
            {
                throw reader.Error(stepNode, $"step {step.Number} (submit) is inside an if: the final click is never conditional; move it to the end of the top-level steps");
            }
            steps.Add(step);
        }
        return steps;
    }

    private static RecipeStep ParseStep(NodeReader reader, YamlNode node, StepCounter counter)
    {
        var number = counter.Next();
        var where = $"step {number}";
        if (node is not YamlMappingNode step)
        {
            throw reader.Error(node, $"{where} must be a mapping like '- click: {{ role: button, name: Pay }}'");
        }
        var parsed = ParseAction(reader, step, number, counter);
        if (step.Children.TryGetValue(new YamlScalarNode("optional"), out var optionalNode))
        {
            var optional = reader.Flag(optionalNode, $"step {number} optional", "false", "true",
                _ => $"step {number} ({parsed.Kind}): optional must be true or false");
            if (optional && parsed is SubmitStep)
            {
                throw reader.Error(optionalNode, $"step {number} (submit) cannot be optional: the final click always happens exactly once, or the run fails");
            }
            if (optional && parsed.TypesSecret)
            {
                throw reader.Error(optionalNode, $"step {number} ({parsed.Kind}) types a card or account value and cannot be optional: a secret that is not typed must fail the run; put sign-in steps inside an if instead");
            }
            if (optional && parsed is IfStep)
            {
                throw reader.Error(optionalNode, $"step {number} (if) is already conditional: leave optional out");
            }
            parsed = parsed with { Optional = optional };
        }
        return parsed;
    }

    private static RecipeStep ParseAction(NodeReader reader, YamlMappingNode step, int number, StepCounter counter)
    {
        var where = $"step {number}";
        var keys = step.Children.Keys.Select(k => reader.Scalar(k, "step key")).ToList();
        if (keys.Contains("if"))
        {
            return ParseIf(reader, step, number, counter, keys);
        }
        foreach (var branchKey in new[] { "steps", "else" })
        {
            if (keys.Contains(branchKey))
            {
                throw reader.Error(step, $"{where}: '{branchKey}' belongs to an if step (- if: {{ visible: LOCATOR }} with steps: [...] and optional else: [...])");
            }
        }
        var kinds = keys.Where(k => k is not ("timeout" or "optional")).ToList();
        if (kinds.Count != 1)
        {
            throw reader.Error(step, $"{where} must have exactly one action ({KnownKinds}); found {(kinds.Count == 0 ? "none" : string.Join(", ", kinds))}");
        }
        var kind = kinds[0];
        where = $"step {number} ({kind})";
        TimeSpan? timeout = null;
        if (step.Children.TryGetValue(new YamlScalarNode("timeout"), out var timeoutNode))
        {
            var text = reader.Scalar(timeoutNode, "timeout");
            timeout = ParseDuration(text) ?? throw reader.Error(timeoutNode, $"{where}: timeout '{text}' must look like 500ms, 10s or 1m (at most 5m)");
        }
        var body = step.Children[new YamlScalarNode(kind)];
        var line = (int)step.Start.Line;
        switch (kind)
        {
            case "navigate":
                return new NavigateStep(number, line, timeout, reader.Template(body, where, TemplateUse.Text));
            case "click":
            case "assert_total":
            case "submit":
            {
                if (body is not YamlMappingNode map)
                {
                    throw reader.Error(body, $"{where} needs a locator, e.g. {{ role: button, name: Pay now }} or {{ label: Email }}");
                }
                var target = reader.Locator(map, where, []);
                return kind switch
                {
                    "click" => new ClickStep(number, line, timeout, target),
                    "assert_total" => new AssertTotalStep(number, line, timeout, target),
                    _ => new SubmitStep(number, line, timeout, target),
                };
            }
            case "wait_for":
            {
                if (body is not YamlMappingNode map)
                {
                    throw reader.Error(body, $"{where} needs a locator ({{ test_id: review }}), a URL ({{ url: \"**/review\" }}) or {{ network_idle: true }}");
                }
                var has = WaitKeys.Where(k => map.Children.ContainsKey(new YamlScalarNode(k))).ToList();
                if (has.Count > 0)
                {
                    if (has.Count > 1 || map.Children.Count > 1)
                    {
                        throw reader.Error(map, $"{where} waits for one thing: a locator, a url, or network_idle; found {string.Join(", ", map.Children.Keys.Select(k => reader.Scalar(k, "key")))}");
                    }
                    var valueNode = map.Children.Values.Single();
                    if (has[0] == "url")
                    {
                        return new WaitForStep(number, line, timeout, null, Url: reader.Literal(valueNode, where, "url"));
                    }
                    return reader.Scalar(valueNode, $"{where} network_idle") == "true"
                        ? new WaitForStep(number, line, timeout, null, NetworkIdle: true)
                        : throw reader.Error(valueNode, $"{where}: network_idle can only be true");
                }
                var hidden = reader.OptionalFlag(map, "state", where, "visible", "hidden", absent: false,
                    state => $"{where}: state '{state}' must be visible or hidden");
                return new WaitForStep(number, line, timeout, reader.Locator(map, where, ["state"]), Hidden: hidden);
            }
            case "select":
            {
                if (body is not YamlMappingNode map)
                {
                    throw reader.Error(body, $"{where} needs a locator and a value, e.g. {{ label: Country, value: \"${{shipping.country}}\" }}");
                }
                var value = reader.ValueTemplate(map, where, TemplateUse.Select, "(the option's value or its visible text)");
                return new SelectStep(number, line, timeout, reader.Locator(map, where, ["value"]), value);
            }
            case "check":
            {
                if (body is not YamlMappingNode map)
                {
                    throw reader.Error(body, $"{where} needs a locator, e.g. {{ label: I agree to the terms }}");
                }
                var isChecked = reader.OptionalFlag(map, "checked", where, "false", "true", absent: true,
                    _ => $"{where}: checked must be true or false");
                return new CheckStep(number, line, timeout, reader.Locator(map, where, ["checked"]), isChecked);
            }
            case "fill":
            {
                if (body is not YamlMappingNode map)
                {
                    throw reader.Error(body, $"{where} needs a locator and a value, e.g. {{ label: Email, value: \"${{buyer.email}}\" }}");
                }
                var value = reader.ValueTemplate(map, where, TemplateUse.Fill, "\"${...}\"");
                var byKeys = reader.OptionalFlag(map, "mode", where, "fill", "keys", absent: false,
                    mode => $"{where}: mode '{mode}' must be fill (set the value at once, the default) or keys (type key by key, for masked inputs)");
                return new FillStep(number, line, timeout, reader.Locator(map, where, ["value", "mode"]), value) { Keys = byKeys };
            }
            default:
                throw reader.Error(step, $"{where}: unknown action '{kind}'; known: {KnownKinds} (there is no script or eval step)");
        }
    }

    private static IfStep ParseIf(NodeReader reader, YamlMappingNode step, int number, StepCounter counter, List<string> keys)
    {
        var where = $"step {number} (if)";
        foreach (var key in keys)
        {
            if (key is not ("if" or "steps" or "else" or "timeout"))
            {
                throw reader.Error(step, $"{where}: unknown key '{key}' beside if; allowed: if, steps, else, timeout");
            }
        }
        var condition = step.Children[new YamlScalarNode("if")];
        if (condition is not YamlMappingNode conditionMap || conditionMap.Children.Count != 1
            || !conditionMap.Children.TryGetValue(new YamlScalarNode("visible"), out var visibleNode) || visibleNode is not YamlMappingNode visibleMap)
        {
            throw reader.Error(condition, $"{where}: the condition is {{ visible: LOCATOR }}, e.g. if: {{ visible: {{ label: Password }} }}");
        }
        var visible = reader.Locator(visibleMap, $"{where} visible", []);
        TimeSpan? timeout = null;
        if (step.Children.TryGetValue(new YamlScalarNode("timeout"), out var timeoutNode))
        {
            var text = reader.Scalar(timeoutNode, "timeout");
            timeout = ParseDuration(text) ?? throw reader.Error(timeoutNode, $"{where}: timeout '{text}' must look like 500ms, 10s or 1m (at most 5m)");
        }
        var thenNode = step.Children.TryGetValue(new YamlScalarNode("steps"), out var t) ? t : throw reader.Error(step, $"{where} has no steps: add steps: [...] to run when the element shows");
        if (thenNode is not YamlSequenceNode thenList || thenList.Children.Count == 0)
        {
            throw reader.Error(thenNode, $"{where}: steps must be a non-empty list of steps");
        }
        var then = ParseSteps(reader, thenList, counter, inBranch: true);
        IReadOnlyList<RecipeStep> otherwise = [];
        if (step.Children.TryGetValue(new YamlScalarNode("else"), out var elseNode))
        {
            if (elseNode is not YamlSequenceNode elseList || elseList.Children.Count == 0)
            {
                throw reader.Error(elseNode, $"{where}: else must be a non-empty list of steps (or left out)");
            }
            otherwise = ParseSteps(reader, elseList, counter, inBranch: true);
        }
        return new IfStep(number, (int)step.Start.Line, timeout, visible, then, otherwise);
    }

    internal static TimeSpan? ParseDuration(string text)
    {
        TimeSpan? value = null;
        if (text.EndsWith("ms", StringComparison.Ordinal) && int.TryParse(text[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            value = TimeSpan.FromMilliseconds(ms);
        }
        else if (text.EndsWith('s') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var s))
        {
            value = TimeSpan.FromSeconds(s);
        }
        else if (text.EndsWith('m') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var m))
        {
            value = TimeSpan.FromMinutes(m);
        }
        return value is { } v && v > TimeSpan.Zero && v <= TimeSpan.FromMinutes(5) ? v : null;
    }

    /// <summary>Reads nodes and turns every problem into a <c>file:line: message</c> error.</summary>
    private sealed class NodeReader(string fileName)
    {
        public RecipeException Error(YamlNode node, string message) => new($"{fileName}:{node.Start.Line}: {message}");

        public string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a plain value");

        /// <summary>One of two words as a flag: <paramref name="no"/> is false, <paramref name="yes"/> true; anything
        /// else is an error worded by <paramref name="error"/> (given the word).</summary>
        public bool Flag(YamlNode node, string what, string no, string yes, Func<string, string> error)
        {
            var word = Scalar(node, what);
            if (word == yes)
            {
                return true;
            }
            return word == no ? false : throw Error(node, error(word));
        }

        /// <summary><see cref="Flag"/> for an optional <paramref name="key"/> of <paramref name="map"/>; <paramref name="absent"/> when it is not there.</summary>
        public bool OptionalFlag(YamlMappingNode map, string key, string where, string no, string yes, bool absent, Func<string, string> error) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? Flag(node, $"{where} {key}", no, yes, error) : absent;

        public YamlScalarNode RequiredScalar(YamlMappingNode map, string key, string where) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node)
                ? node as YamlScalarNode ?? throw Error(node, $"{key} in {where} must be a plain value")
                : throw Error(map, $"{where} has no '{key}'");

        public YamlMappingNode RequiredMapping(YamlMappingNode map, string key, string where) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node)
                ? node as YamlMappingNode ?? throw Error(node, $"{key} in {where} must be a mapping")
                : throw Error(map, $"{where} has no '{key}'");

        public YamlSequenceNode RequiredSequence(YamlMappingNode map, string key, string where) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node)
                ? node as YamlSequenceNode ?? throw Error(node, $"{key} in {where} must be a list")
                : throw Error(map, $"{where} has no '{key}'");

        public void CheckKeys(YamlMappingNode map, string where, string[] allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = Scalar(key, "key");
                if (!allowed.Contains(name))
                {
                    throw Error(key, $"unknown key '{name}' in {where}; allowed: {string.Join(", ", allowed)}");
                }
            }
        }

        /// <summary>The step's required <c>value</c> as a template; missing, the error suggests <c>value: <paramref name="example"/></c>.</summary>
        public Template ValueTemplate(YamlMappingNode map, string where, TemplateUse use, string example) =>
            map.Children.TryGetValue(new YamlScalarNode("value"), out var node)
                ? Template(node, where, use)
                : throw Error(map, $"{where} has no value: add value: {example}");

        public Template Template(YamlNode node, string where, TemplateUse use)
        {
            var text = Scalar(node, $"{where} value");
            try
            {
                return Recipes.Template.Parse(text, use);
            }
            catch (FormatException ex)
            {
                throw Error(node, $"{where}: {ex.Message}");
            }
        }

        /// <summary>A locator: exactly one of role/label/text/test_id/css; <c>name</c> only with role.</summary>
        public LocatorSpec Locator(YamlMappingNode map, string where, string[] extraKeys)
        {
            CheckKeys(map, where, [.. LocatorKeys, "name", .. ScopeKeys, .. extraKeys]);
            var found = LocatorKeys.Where(k => map.Children.ContainsKey(new YamlScalarNode(k))).ToList();
            if (found.Count != 1)
            {
                throw Error(map, $"{where}: a locator needs exactly one of {string.Join(", ", LocatorKeys)}; found {(found.Count == 0 ? "none" : string.Join(", ", found))}");
            }
            string? Get(YamlMappingNode from, string key) =>
                from.Children.TryGetValue(new YamlScalarNode(key), out var node) ? Literal(node, where, key) : null;
            var name = Get(map, "name");
            if (name is not null && found[0] != "role")
            {
                throw Error(map, $"{where}: 'name' goes with 'role' only (e.g. {{ role: button, name: Pay now }})");
            }
            var frames = new List<FrameSpec>();
            if (map.Children.TryGetValue(new YamlScalarNode("frame"), out var frameNode))
            {
                IEnumerable<YamlNode> path = frameNode is YamlSequenceNode list ? list.Children : [frameNode];
                foreach (var entry in path)
                {
                    if (entry is not YamlMappingNode frameMap)
                    {
                        throw Error(entry, $"{where}: frame must be {{ title: ... }}, {{ name: ... }}, {{ src: ... }} or {{ css: ... }}, or a list of them (outermost first)");
                    }
                    CheckKeys(frameMap, $"{where} frame", FrameKeys);
                    var frameKeys = FrameKeys.Where(k => frameMap.Children.ContainsKey(new YamlScalarNode(k))).ToList();
                    if (frameKeys.Count != 1)
                    {
                        throw Error(frameMap, $"{where}: a frame is found by exactly one of {string.Join(", ", FrameKeys)}; found {(frameKeys.Count == 0 ? "none" : string.Join(", ", frameKeys))}");
                    }
                    frames.Add(new FrameSpec(Get(frameMap, "title"), Get(frameMap, "name"), Get(frameMap, "src"), Get(frameMap, "css")));
                }
                if (frames.Count == 0)
                {
                    throw Error(frameNode, $"{where}: frame is an empty list; leave it out to search the page itself");
                }
            }
            return new LocatorSpec(Get(map, "role"), name, Get(map, "label"), Get(map, "text"), Get(map, "test_id"), Get(map, "css"))
            {
                Frames = frames,
                Shadow = Get(map, "shadow"),
            };
        }

        /// <summary>
        /// A literal scalar. Locators, frames and URLs to wait for never carry placeholders: a card value must not
        /// become part of a selector, text match or URL.
        /// </summary>
        public string Literal(YamlNode node, string where, string key)
        {
            var value = Scalar(node, $"{where} {key}");
            if (value.Contains("${", StringComparison.Ordinal))
            {
                try
                {
                    Recipes.Template.Parse(value, cardAllowed: false);
                }
                catch (FormatException ex)
                {
                    throw Error(node, $"{where} {key}: {ex.Message}");
                }
                throw Error(node, $"{where} {key}: this is literal text; placeholders are allowed only in navigate, fill and select values");
            }
            if (value.Length == 0)
            {
                throw Error(node, $"{where} {key}: must not be empty");
            }
            return value;
        }
    }
}
