using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CheckoutAgent.Tests.Architecture;

/// <summary>
/// Dependencies go one way. Between projects the compiler enforces it (a project cannot reference one that references
/// it); inside the worker, folders are namespaces the compiler does not order, so this test does: no folder may reach,
/// through any chain of others, back to itself.
/// </summary>
public partial class LayeringTests
{
    private static string Root()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CheckoutAgent.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("CheckoutAgent.sln not found above the test directory");
    }

    [GeneratedRegex(@"CheckoutAgent\.Worker\.(\w+)")]
    private static partial Regex WorkerNamespace();

    /// <summary>Folder → the worker folders its files name (in usings or fully qualified).</summary>
    internal static Dictionary<string, SortedSet<string>> FolderGraph(string workerDirectory)
    {
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var folder in Directory.GetDirectories(workerDirectory).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")))
        {
            var uses = graph[folder!] = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(workerDirectory, folder!), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match match in WorkerNamespace().Matches(File.ReadAllText(file)))
                {
                    if (match.Groups[1].Value != folder && match.Groups[1].Value != "Tests")
                    {
                        uses.Add(match.Groups[1].Value);
                    }
                }
            }
        }
        return graph;
    }

    /// <summary>A chain of folders that leads back to where it began, or null when there is none.</summary>
    internal static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, SortedSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();
        IReadOnlyList<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.TryGetValue(node, out var edges) ? edges : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.SkipWhile(n => n != next), next];
                }
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    [Test]
    public void Worker_folders_form_no_cycle()
    {
        var graph = FolderGraph(Path.Combine(Root(), "src", "CheckoutWorker"));
        Assert.That(graph.Keys, Is.SupersetOf(new[] { "Api", "Hosting", "Purchases", "Recipes", "Configuration" }), "the folders were read");
        var cycle = FindCycle(graph);
        Assert.That(cycle, Is.Null, () => "folders depend on each other in a circle: " + string.Join(" → ", cycle!));
    }

    [Test]
    public void The_cycle_finder_finds_a_cycle_of_three()
    {
        var graph = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal)
        {
            ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"],
        };
        Assert.That(FindCycle(graph), Is.EqualTo(new[] { "A", "B", "C", "A" }));
        graph["C"] = [];
        Assert.That(FindCycle(graph), Is.Null);
    }

    [TestCase("CheckoutAgent.Core", new[] { "LinkClient" })]
    [TestCase("CheckoutAgent.Storage", new[] { "CheckoutAgent.Core" })]
    [TestCase("LinkClient", new string[0])]
    public void Lower_layers_reference_only_what_is_below_them(string project, string[] allowed)
    {
        var csproj = XDocument.Load(Path.Combine(Root(), "src", project, project + ".csproj"));
        var references = csproj.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
        Assert.That(references, Is.EquivalentTo(allowed));
    }

    [Test]
    public void The_client_library_holds_no_offline_world() =>
        Assert.That(Directory.Exists(Path.Combine(Root(), "src", "LinkClient", "Sandbox")), Is.False,
            "the Link sandbox lives beside the emulator, not in the library agent builders reference");
}
