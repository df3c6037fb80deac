using System.Text;
using System.Text.RegularExpressions;

namespace CheckoutAgent.Tests.Docs;

/// <summary>
/// Every relative link in README.md, docs/*.md and recipes/README.md points at a file that exists and, with a
/// <c>#anchor</c>, at a heading of that file whose GitHub-style slug equals the anchor.
/// </summary>
public partial class DocLinksTests
{
    [Test]
    public void Docs_RelativeLinks_AllResolve()
    {
        var root = RepositoryRoot();
        var files = new List<string> { Path.Combine(root, "README.md"), Path.Combine(root, "recipes", "README.md") };
        var docs = Path.Combine(root, "docs");
        if (Directory.Exists(docs))
            files.AddRange(Directory.GetFiles(docs, "*.md").Order(StringComparer.Ordinal));

        var checker = new DocLinkChecker(root);
        var broken = files.SelectMany(f => checker.Check(f, File.ReadAllText(f))).ToList();

        Assert.That(broken, Is.Empty, "broken links:\n" + string.Join("\n", broken));
    }

    [Test]
    public void Docs_ReadmeLinksToEveryDocsPage()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var pages = Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Select(p => "docs/" + Path.GetFileName(p));

        Assert.That(pages.Where(p => !readme.Contains("](" + p, StringComparison.Ordinal)), Is.Empty,
            "docs pages the README's map does not link to");
    }

    [Test]
    public void Checker_BrokenFileAndAnchor_AreBothReportedWithFileAndLine()
    {
        var root = Directory.CreateTempSubdirectory("doclinks-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "other.md"), "# Other page\n\n## The job service: `serve`, agents\n");
            var markdown = string.Join('\n',
                "# Title",
                "",
                "Fine: [other](other.md), [section](other.md#the-job-service-serve-agents), [here](#title).",
                "Outside: [web](https://example.com/missing.md) and [mail](mailto:someone@example.com).",
                "[missing file](nothing-here.md)",
                "```",
                "[inside a code block](not-checked.md)",
                "```",
                "Code span: `[x](not-checked-either.md)`.",
                "[wrong anchor](other.md#no-such-heading)",
                "![image](missing.svg)");

            var broken = new DocLinkChecker(root).Check(Path.Combine(root, "page.md"), markdown);

            Assert.That(broken, Is.EqualTo(new[]
            {
                "page.md:5 → nothing-here.md (no such file)",
                "page.md:10 → other.md#no-such-heading (no heading with that anchor)",
                "page.md:11 → missing.svg (no such file)",
            }));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestCase("The job service: `serve`, agents, policy", "the-job-service-serve-agents-policy")]
    [TestCase("A worked example: from an empty file to a passing `recipe test`", "a-worked-example-from-an-empty-file-to-a-passing-recipe-test")]
    [TestCase("Locators, frames and shadow DOM", "locators-frames-and-shadow-dom")]
    [TestCase("Link sandbox and demo shop: where they differ from the real thing", "link-sandbox-and-demo-shop-where-they-differ-from-the-real-thing")]
    [TestCase("One purchase's path", "one-purchases-path")]
    [TestCase("snake_case and kebab-case", "snake_case-and-kebab-case")]
    public void Slug_FollowsGitHub(string heading, string slug) =>
        Assert.That(DocLinkChecker.Slug(heading), Is.EqualTo(slug));

    /// <summary>Walks up from the test's directory to the folder holding CheckoutAgent.sln.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
                return dir.FullName;
        }
        Assert.Fail("no CheckoutAgent.sln above " + TestContext.CurrentContext.TestDirectory);
        return "";
    }
}

/// <summary>Finds relative markdown links whose file or heading anchor does not exist.</summary>
internal sealed partial class DocLinkChecker(string root)
{
    private readonly Dictionary<string, HashSet<string>> _anchors = new(StringComparer.Ordinal);

    /// <summary>One line per broken link: <c>file:line → target (why)</c>, the file relative to the root.</summary>
    public IEnumerable<string> Check(string path, string markdown)
    {
        var shown = Path.GetRelativePath(root, path).Replace('\\', '/');
        var lines = markdown.Split('\n');
        var inFence = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (IsFence(line))
            {
                inFence = !inFence;
                continue;
            }
            if (inFence)
                continue;

            foreach (Match link in Link().Matches(BlankCodeSpans(line)))
            {
                var target = link.Groups["target"].Value;
                if (target.StartsWith("http:", StringComparison.OrdinalIgnoreCase)
                    || target.StartsWith("https:", StringComparison.OrdinalIgnoreCase)
                    || target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
                    continue;

                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var file = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var resolved = file.Length == 0
                    ? path
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));

                if (file.Length > 0 && !File.Exists(resolved) && !Directory.Exists(resolved))
                    yield return $"{shown}:{i + 1} → {target} (no such file)";
                else if (anchor is not null
                    && !AnchorsOf(resolved, file.Length == 0 ? markdown : null).Contains(anchor))
                    yield return $"{shown}:{i + 1} → {target} (no heading with that anchor)";
            }
        }
    }

    /// <summary>GitHub's heading anchor: lowercase, spaces to '-', punctuation other than '-' and '_' dropped.</summary>
    public static string Slug(string heading)
    {
        var slug = new StringBuilder();
        foreach (var c in heading.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
                slug.Append(c);
            else if (c == ' ')
                slug.Append('-');
        }
        return slug.ToString();
    }

    private HashSet<string> AnchorsOf(string file, string? text)
    {
        if (_anchors.TryGetValue(file, out var known))
            return known;

        var anchors = new HashSet<string>(StringComparer.Ordinal);
        _anchors[file] = anchors;
        if (text is null && !File.Exists(file))
            return anchors; // a folder has no headings
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var raw in (text ?? File.ReadAllText(file)).Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (IsFence(line))
            {
                inFence = !inFence;
                continue;
            }
            var heading = Heading().Match(line);
            if (inFence || !heading.Success)
                continue;

            // GitHub numbers repeated headings: slug, slug-1, slug-2, …
            var slug = Slug(heading.Groups["text"].Value.TrimEnd('#', ' '));
            var seen = counts.GetValueOrDefault(slug);
            counts[slug] = seen + 1;
            anchors.Add(seen == 0 ? slug : $"{slug}-{seen}");
        }
        return anchors;
    }

    private static bool IsFence(string line) =>
        line.TrimStart().StartsWith("```", StringComparison.Ordinal) || line.TrimStart().StartsWith("~~~", StringComparison.Ordinal);

    /// <summary>Code spans keep their length but lose their text, so a link written inside one is not a link.</summary>
    private static string BlankCodeSpans(string line) => CodeSpan().Replace(line, m => new string(' ', m.Length));

    [GeneratedRegex(@"!?\[[^\]]*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^ {0,3}#{1,6}\s+(?<text>.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex CodeSpan();
}
