using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace CheckoutAgent.Worker.OperatorConsole;

/// <summary>What every signed-in page shows around its content: the menu, the pause switch, who is signed in.</summary>
/// <param name="Paused">Whether the global pause is on.</param>
/// <param name="Attention">How many things need the operator (outcome_unknown purchases, broken recipes).</param>
internal sealed record ConsoleFrame(HttpContext Http, Html Csrf, bool Paused, int Attention);

/// <summary>The console's page frame, style sheet and script: all served by <c>serve</c> itself, nothing from elsewhere.</summary>
internal static class ConsoleLayout
{
    public static readonly (string Path, string Label)[] Menu =
    [
        ("/console/purchases", "Purchases"),
        ("/console/attention", "Needs attention"),
        ("/console/agents", "Agents"),
        ("/console/schedules", "Schedules"),
        ("/console/recipes", "Recipes"),
    ];

    /// <summary>A whole signed-in page.</summary>
    public static IResult Page(ConsoleFrame frame, string title, Html content, int status = 200)
    {
        var current = frame.Http.Request.Path.Value ?? "";
        var menu = Html.Join(Menu.Select(m =>
        {
            var label = m.Path == "/console/attention" && frame.Attention > 0 ? $"{m.Label} ({frame.Attention})" : m.Label;
            return current.StartsWith(m.Path, StringComparison.Ordinal)
                ? Html.Of($"<a href=\"{m.Path}\" aria-current=\"page\">{label}</a>")
                : Html.Of($"<a href=\"{m.Path}\">{label}</a>");
        }));
        var pause = frame.Paused
            ? Html.Of($"<form method=\"post\" action=\"/console/resume\" class=\"inline\">{frame.Csrf}<input type=\"hidden\" name=\"back\" value=\"{current}\"><span class=\"badge failed\" id=\"pause-state\">Purchases paused</span> <button type=\"submit\" id=\"resume\">Resume purchases</button></form>")
            : Html.Of($"<form method=\"post\" action=\"/console/pause\" class=\"inline\">{frame.Csrf}<input type=\"hidden\" name=\"back\" value=\"{current}\"><span class=\"badge succeeded\" id=\"pause-state\">Purchases running</span> <button type=\"submit\" id=\"pause\" class=\"danger\">Pause all purchases</button></form>");
        var body = Html.Of($"""
            <header>
              <strong class="brand">CheckoutAgent</strong>
              <nav>{menu}</nav>
              <div class="who">{pause}
                <form method="post" action="/console/sign-out" class="inline">{frame.Csrf}<span>{frame.Http.Operator().Name}</span> <button type="submit" id="sign-out">Sign out</button></form>
              </div>
            </header>
            <main>
            {Notice(frame.Http)}
            <h1>{title}</h1>
            {content}
            </main>
            """);
        return Document(title, body, status);
    }

    /// <summary>A page outside the frame (sign-in, refusals).</summary>
    public static IResult Document(string title, Html body, int status = 200) => new HtmlResult(Html.Of($"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{title} · CheckoutAgent console</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        {body}
        </body>
        </html>
        """), status);

    /// <summary>A short confirmation after a form post, from a fixed list (the query string chooses, never supplies, the text).</summary>
    private static Html Notice(HttpContext http)
    {
        var code = http.Request.Query["notice"].ToString();
        return Notices.TryGetValue(code, out var text) ? Html.Of($"<p class=\"notice\" role=\"status\">{text}</p>") : Html.Empty;
    }

    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["paused"] = "Purchases are paused: new ones are refused and queued ones stop before Link is asked.",
        ["resumed"] = "Purchases are running again.",
        ["reconciled"] = "Reconciled: the purchase's webhook is on its way and Link was told.",
        ["already-reconciled"] = "It had already been reconciled that way; nothing changed.",
        ["canceled"] = "Canceled: its spend request was canceled at Link.",
        ["revoked"] = "Revoked: every token of that agent stopped working.",
        ["schedule-paused"] = "The schedule is paused.",
        ["schedule-resumed"] = "The schedule fires again from its next fire time.",
        ["checked"] = "Checked: the recipe's health below is the check that just ran.",
    };

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static Html Status(string status) => Html.Of($"<span class=\"badge {status}\">{status.Replace('_', ' ')}</span>");

    /// <summary>An HTML page with the console's status code.</summary>
    private sealed class HtmlResult(Html html, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "text/html; charset=utf-8";
            return httpContext.Response.WriteAsync(html.ToString(), httpContext.RequestAborted);
        }
    }

    /// <summary>A fragment (rows for a live list).</summary>
    public static IResult Fragment(Html html) => new HtmlResult(html, 200);

    public const string Css = """
        :root { color-scheme: light dark; --fg: #1b1f23; --bg: #fff; --muted: #6a737d; --line: #d0d7de; --accent: #0969da; --bad: #cf222e; --good: #1a7f37; --warn: #9a6700; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8b949e; --line: #30363d; --accent: #58a6ff; --bad: #ff7b72; --good: #3fb950; --warn: #d29922; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1.2rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
        header nav { display: flex; flex-wrap: wrap; gap: .3rem .9rem; }
        header .who { margin-left: auto; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        a { color: var(--accent); }
        nav a[aria-current] { font-weight: 600; text-decoration: none; color: var(--fg); }
        main { padding: 1rem; max-width: 72rem; }
        h1 { font-size: 1.35rem; margin: .2rem 0 1rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); font-size: .85rem; }
        .scroll { overflow-x: auto; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        form.inline { display: inline-flex; gap: .4rem; align-items: center; flex-wrap: wrap; margin: 0; }
        form.filters { display: flex; flex-wrap: wrap; gap: .5rem .8rem; align-items: end; margin-bottom: 1rem; }
        form.filters label, form.stack label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); min-width: 0; }
        form.filters label { flex: 1 1 9rem; }
        form.filters input, form.filters select { width: 100%; min-width: 0; }
        form.stack { display: flex; flex-direction: column; gap: .7rem; max-width: 26rem; }
        input, select, button { font: inherit; padding: .35rem .55rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
        button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
        button.secondary { background: var(--bg); color: var(--fg); border-color: var(--line); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        .badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .8rem; border: 1px solid var(--line); white-space: nowrap; }
        .badge.succeeded, .badge.ok { color: var(--good); border-color: var(--good); }
        .badge.failed, .badge.broken, .badge.revoked { color: var(--bad); border-color: var(--bad); }
        .badge.outcome_unknown, .badge.submitting, .badge.awaiting_authentication { color: var(--warn); border-color: var(--warn); }
        .notice { padding: .5rem .8rem; border: 1px solid var(--good); border-radius: 6px; }
        .error { padding: .5rem .8rem; border: 1px solid var(--bad); border-radius: 6px; color: var(--bad); }
        .muted { color: var(--muted); }
        .nowrap { white-space: nowrap; }
        .problem { color: var(--bad); overflow-wrap: anywhere; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; }
        img.receipt { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
        code { font-size: .9em; overflow-wrap: anywhere; }
        .signin { max-width: 28rem; margin: 8vh auto; padding: 1.5rem; }
        @media (max-width: 40rem) {
          th.wide, td.wide { display: none; }
          dl { grid-template-columns: 1fr; }
          dt { margin-top: .4rem; }
          main { padding: .7rem; }
        }
        """;

    /// <summary>
    /// Live lists: an element with <c>data-live="/console/…"</c> is refreshed from that address every
    /// <c>data-every</c> seconds with server-rendered (encoded) rows, replaced only when they changed; a failed refresh
    /// (signed out) leaves it as it is.
    /// </summary>
    public const string Script = """
        "use strict";
        document.querySelectorAll("[data-live]").forEach(function (element) {
          var every = Math.max(1, parseInt(element.getAttribute("data-every") || "3", 10)) * 1000;
          setInterval(function () {
            fetch(element.getAttribute("data-live"), { credentials: "same-origin", cache: "no-store", redirect: "error" })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (html === null) { return; }
                // Compared as the browser writes them, so an unchanged list is left alone (a click on it is never lost).
                var fresh = document.createElement("template");
                fresh.innerHTML = html;
                if (fresh.innerHTML !== element.innerHTML) { element.innerHTML = html; }
              })
              .catch(function () { });
          }, every);
        });
        document.querySelectorAll("form[data-confirm]").forEach(function (form) {
          form.addEventListener("submit", function (event) {
            if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
          });
        });
        """;
}
