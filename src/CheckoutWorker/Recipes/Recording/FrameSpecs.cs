using System.Text.Json;
using Microsoft.Playwright;

namespace CheckoutAgent.Worker.Recipes.Recording;

/// <summary>How a recipe names the iframes down to a frame: by title, else name, else id, else the path of its src.</summary>
internal static class FrameSpecs
{
    /// <summary>The iframes from the page down to <paramref name="frame"/>, outermost first; empty for the main frame.</summary>
    /// <exception cref="PlaywrightException">A frame went away meanwhile.</exception>
    public static async Task<IReadOnlyList<FrameSpec>> PathToAsync(IFrame frame)
    {
        var path = new List<FrameSpec>();
        for (var f = frame; f.ParentFrame is not null; f = f.ParentFrame)
        {
            await using var element = await f.FrameElementAsync();
            var a = await element.EvaluateAsync<JsonElement>(
                "e => ({ title: e.getAttribute('title'), name: e.getAttribute('name'), src: e.getAttribute('src'), id: e.id || null })");
            path.Insert(0, Text(a, "title") is { Length: > 0 } title ? new FrameSpec(Title: title)
                : Text(a, "name") is { Length: > 0 } name ? new FrameSpec(Name: name)
                : Text(a, "id") is { Length: > 0 } id ? new FrameSpec(Css: $"iframe#{id}")
                : SrcPart(Text(a, "src")) is { } src ? new FrameSpec(Src: src)
                : new FrameSpec(Css: "iframe"));
        }
        return path;
    }

    /// <summary>The path of an iframe's src (no query: it can carry tokens); null when there is none worth naming.</summary>
    private static string? SrcPart(string? src) =>
        Uri.TryCreate(src, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1 ? uri.AbsolutePath : null;

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
