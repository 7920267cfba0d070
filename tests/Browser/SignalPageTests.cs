using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Browser;

/// <summary>
/// One real gateway (simulated market held open, 300 stocks, 100 ms ticks) and one headless Debian
/// Chromium, shared by the tests of <see cref="SignalPageTests"/>; each test opens its own context.
/// </summary>
/// <remarks>
/// Playwright cannot download a browser here, so it drives the system's <c>/usr/bin/chromium</c>
/// (install: <c>scripts/ensure-chromium.sh</c>). Without it every test fails with that message.
/// </remarks>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>The page pings at the announced heartbeat; 2 s lets a test see a ping and its pong.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Gateway:HeartbeatInterval"] = "00:00:02",
    };

    private GatewayHost? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public GatewayHost Host => _host ?? throw new InvalidOperationException("fixture not initialised");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium is missing: {ChromiumPath} does not exist, so the browser tests cannot run. " +
                "Install it with scripts/ensure-chromium.sh (apt-get install chromium); Playwright cannot download its own browser on this machine.");
        }

        try
        {
            _host = await GatewayHost.StartAsync(Settings);
            try
            {
                _playwright = await Playwright.CreateAsync();
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException(
                    "Playwright's driver (the node runtime and package shipped in the Microsoft.Playwright NuGet package, " +
                    $"copied to {Path.Combine(AppContext.BaseDirectory, ".playwright")}) did not start: {ex.Message}", ex);
            }
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = 60_000,
            });
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _browser = null;
        _playwright?.Dispose();
        _playwright = null;
        if (_host is not null) await _host.DisposeAsync();
        _host = null;
    }
}

/// <summary>The first page (<c>/</c>): the buy-signal list with live prices, in a real browser.</summary>
public sealed class SignalPageTests(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const string SignalsApi = "/api/stocks/signal/buy";
    private const string RowSelector = "#signals tbody tr[data-code]";

    // A-share default: red up, green down (app.css --up / --down).
    private const string Red = "rgb(228, 57, 60)";
    private const string Green = "rgb(26, 159, 74)";

    [Fact]
    public async Task Page_renders_the_rows_of_the_REST_signal_list()
    {
        await fixture.Host.WaitForListMembers();
        var started = Stopwatch.StartNew();
        await using var context = await NewContextAsync();
        var (page, pageErrors) = await NewPageAsync(context);

        // Compare against the very response the page rendered: the lists move with the market.
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GotoAsync(fixture.Host.Http.ToString()),
            r => r.Url.Contains(SignalsApi, StringComparison.Ordinal) && r.Status == 200);
        using var body = JsonDocument.Parse(await response.TextAsync());
        Assert.Equal(200, body.RootElement.GetProperty("code").GetInt32());
        var expected = body.RootElement.GetProperty("data").GetProperty("signals").EnumerateArray()
            .Select(s => new RowText(
                s.GetProperty("code").GetString()!,
                s.GetProperty("strategy").GetString()!,
                s.GetProperty("name").GetString()!,
                s.GetProperty("market").GetString()!,
                s.GetProperty("signal_reason").GetString()!))
            .ToList();
        Assert.True(expected.Count > 0, "the gateway's buy-signal list is empty; nothing to render");

        await page.WaitForFunctionAsync("() => Number(document.querySelector('#signals').dataset.fetches) >= 1");
        var rendered = await ReadRowsAsync(page);
        output.WriteLine($"{rendered.Count} rows rendered, {expected.Count} in the REST list");

        Assert.Equal(expected, rendered.Select(r => r.Text).ToList());
        Assert.Equal(expected.Count.ToString(CultureInfo.InvariantCulture), await page.Locator("#signal-count").InnerTextAsync());
        Assert.All(rendered, r =>
        {
            Assert.Matches(@"^(\d+\.\d{2}|—)$", r.Price);
            Assert.Matches(@"^([+-]?\d+\.\d{2}%|—)$", r.Change);
            Assert.Matches(@"^(\d+(\.\d{2})?(万股|亿股|股)|—)$", r.Volume);
        });

        var shot = Path.Combine(Path.GetTempPath(), "orleansprices-signal-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        output.WriteLine($"screenshot: {shot}; {started.ElapsedMilliseconds} ms");
        Assert.Empty(pageErrors);
    }

    [Fact]
    public async Task A_rows_price_changes_as_price_updates_arrive()
    {
        await using var context = await NewContextAsync();
        var (page, pageErrors) = await NewPageAsync(context);

        // Every price the server pushed, per code, as Playwright saw the frames.
        var pushed = new ConcurrentDictionary<string, ConcurrentBag<decimal>>(StringComparer.Ordinal);
        page.WebSocket += (_, ws) => ws.FrameReceived += (_, frame) => RecordPrices(frame.Text ?? "", pushed);

        await page.GotoAsync(fixture.Host.Http.ToString());
        await page.Locator(RowSelector).First.WaitForAsync();
        var before = await page.EvaluateAsync<string>(
            "sel => JSON.stringify(Object.fromEntries([...document.querySelectorAll(sel)].map(tr => [tr.id, tr.querySelector('.price').textContent])))",
            RowSelector);

        var watch = Stopwatch.StartNew();
        var changed = await page.WaitForFunctionAsync(
            @"([sel, before]) => {
                const old = JSON.parse(before);
                const tr = [...document.querySelectorAll(sel)].find(tr => tr.id in old && tr.querySelector('.price').textContent !== old[tr.id]);
                return tr ? tr.id : false;
            }",
            new object[] { RowSelector, before },
            new PageWaitForFunctionOptions { Timeout = 10_000 });
        var rowId = await changed.JsonValueAsync<string>();
        output.WriteLine($"{rowId}: price changed after {watch.ElapsedMilliseconds} ms");

        // The value shown is one the server pushed for that stock (retry: the frame event may trail the DOM).
        var row = page.Locator($"#{rowId}");
        var code = await row.GetAttributeAsync("data-code");
        Assert.NotNull(code);
        // Attribute and text are read in one evaluation: prices tick every 100 ms, and two reads could
        // straddle an update.
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (true)
        {
            var shown = await row.EvaluateAsync<string[]>("tr => [tr.dataset.price ?? '', tr.querySelector('.price').textContent]");
            var value = decimal.Parse(shown[0], CultureInfo.InvariantCulture);
            Assert.Equal(value.ToString("0.00", CultureInfo.InvariantCulture), shown[1]);
            if (pushed.TryGetValue(code, out var prices) && prices.Contains(value)) break;
            Assert.True(DateTime.UtcNow < deadline, $"row {rowId} shows {shown[0]}, a price never pushed for {code}");
            await Task.Delay(100);
        }

        Assert.True(int.Parse(await page.Locator("#msg-count").InnerTextAsync(), CultureInfo.InvariantCulture) > 1);
        Assert.Matches(@"^\d{2}:\d{2}:\d{2}$", await page.Locator("#last-update").InnerTextAsync());
        Assert.Empty(pageErrors);
    }

    [Fact]
    public async Task Status_shows_live_and_the_page_pings()
    {
        await using var context = await NewContextAsync();
        var (page, pageErrors) = await NewPageAsync(context);
        var sent = new ConcurrentQueue<string>();
        var received = new ConcurrentQueue<string>();
        page.WebSocket += (_, ws) =>
        {
            ws.FrameSent += (_, f) => sent.Enqueue(f.Text ?? "");
            ws.FrameReceived += (_, f) => { if (f.Text?.Contains("\"pong\"", StringComparison.Ordinal) == true) received.Enqueue(f.Text); };
        };

        await page.GotoAsync(fixture.Host.Http.ToString());
        var status = page.Locator("#status[data-state=live]");
        await status.WaitForAsync();
        Assert.Contains("live", await status.InnerTextAsync(), StringComparison.Ordinal);

        // The fixture's gateway announces a 2 s heartbeat, so a ping and its pong come within a few seconds.
        var deadline = DateTime.UtcNow.AddSeconds(8);
        while (!(sent.Any(IsPing) && !received.IsEmpty))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no ping/pong seen; sent: [{string.Join(", ", sent)}], pongs: {received.Count}");
            await Task.Delay(100);
        }
        Assert.Equal("live", await page.Locator("#status").GetAttributeAsync("data-state"));
        Assert.Empty(pageErrors);

        static bool IsPing(string text)
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.GetProperty("type").GetString() == "ping";
        }
    }

    [Fact]
    public async Task Up_is_red_and_down_is_green_by_default_and_swapped_by_the_Western_toggle()
    {
        await using var context = await NewContextAsync();
        var (page, pageErrors) = await NewPageAsync(context);
        await page.GotoAsync(fixture.Host.Http.ToString());
        await page.Locator(RowSelector).First.WaitForAsync();

        // Real cells: a rising and (if the lists hold one) a falling stock. Buy lists lean up, so a
        // falling row may be absent; the legend's 跌 swatch (same .down class) stands in then.
        var up = page.Locator("#signals tbody td.change.up").First;
        await up.WaitForAsync();
        var down = page.Locator("#signals tbody td.change.down").First;
        try
        {
            await down.WaitForAsync(new LocatorWaitForOptions { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            output.WriteLine("no falling stock on the lists; checking the legend's down swatch instead");
            down = page.Locator("#legend .swatch.down");
        }

        Assert.Equal("cn", await page.Locator("html").GetAttributeAsync("data-colors"));
        Assert.Equal(Red, await ColorOf(up));
        Assert.Equal(Red, await ColorOf(page.Locator("#signals tbody tr:has(td.change.up) td.price").First));
        Assert.Equal(Green, await ColorOf(down));
        Assert.Equal(Red, await ColorOf(page.Locator("#legend .swatch.up")));

        await page.Locator("#colors-toggle").ClickAsync();
        Assert.Equal("western", await page.Locator("html").GetAttributeAsync("data-colors"));
        Assert.Equal(Green, await ColorOf(page.Locator("#signals tbody td.change.up").First));
        Assert.Equal(Red, await ColorOf(down));
        Assert.Equal("western", await page.EvaluateAsync<string>("() => localStorage.getItem('orleansprices.colors')"));

        // Persisted: a reload keeps the Western convention; toggling back restores A-share colours.
        await page.ReloadAsync();
        await page.Locator("#signals tbody td.change.up").First.WaitForAsync();
        Assert.Equal(Green, await ColorOf(page.Locator("#signals tbody td.change.up").First));
        await page.Locator("#colors-toggle").ClickAsync();
        Assert.Equal(Red, await ColorOf(page.Locator("#signals tbody td.change.up").First));
        Assert.Empty(pageErrors);

        // ?colors=western works without anything stored (fresh context).
        await using var fresh = await NewContextAsync();
        var (other, _) = await NewPageAsync(fresh);
        await other.GotoAsync(new Uri(fixture.Host.Http, "/?colors=western").ToString());
        Assert.Equal("western", await other.Locator("html").GetAttributeAsync("data-colors"));
        Assert.Equal(Green, await ColorOf(other.Locator("#legend .swatch.up")));
        Assert.Equal(Red, await ColorOf(other.Locator("#legend .swatch.down")));
    }

    [Fact]
    public async Task A_bad_message_is_counted_and_a_dropped_connection_reconnects_and_refetches()
    {
        await using var context = await NewContextAsync();
        var (page, pageErrors) = await NewPageAsync(context);

        // Route the page's WebSocket through Playwright: forwarded to the real gateway, with the
        // ability to inject a frame and to drop the connection.
        var routes = new ConcurrentQueue<(IWebSocketRoute Page, IWebSocketRoute Server)>();
        await page.RouteWebSocketAsync("**/ws/stock/prices", ws => routes.Enqueue((ws, ws.ConnectToServer())));

        await page.GotoAsync(fixture.Host.Http.ToString());
        await page.Locator("#status[data-state=live]").WaitForAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#signals').dataset.fetches >= 1");
        Assert.True(routes.TryPeek(out var first));

        first.Page.Send("this is not JSON {");
        first.Page.Send("{\"type\":\"price_update\",\"data\":\"not an array\"}");
        await page.WaitForFunctionAsync("() => document.querySelector('#parse-errors').textContent === '2'");
        Assert.True(await page.Locator("#parse-errors-wrap").IsVisibleAsync());

        // Still working after the bad frames: prices keep arriving.
        var count = int.Parse(await page.Locator("#msg-count").InnerTextAsync(), CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync("n => Number(document.querySelector('#msg-count').textContent) > n", count);
        Assert.Equal("live", await page.Locator("#status").GetAttributeAsync("data-state"));

        // Drop it: reconnecting (with a countdown), then live again on a new socket, and the list re-fetched.
        var fetches = int.Parse(await page.Locator("#signals").GetAttributeAsync("data-fetches") ?? "0", CultureInfo.InvariantCulture);
        await first.Server.CloseAsync();
        await first.Page.CloseAsync(new WebSocketRouteCloseOptions { Code = 1012, Reason = "test: service restart" });
        await page.Locator("#status[data-state=reconnecting]").WaitForAsync(new LocatorWaitForOptions { Timeout = 3_000 });
        Assert.Matches(@"reconnecting in \d+s", await page.Locator("#status").InnerTextAsync());

        await page.Locator("#status[data-state=live]").WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
        Assert.True(routes.Count >= 2, "the page did not open a new WebSocket");
        await page.WaitForFunctionAsync("n => Number(document.querySelector('#signals').dataset.fetches) > n", fetches,
            new PageWaitForFunctionOptions { Timeout = 5_000 });
        Assert.Empty(pageErrors);
    }

    // ------------------------------------------------------------------ helpers

    private sealed record RowText(string Code, string Strategy, string Name, string Market, string Reason);

    private sealed record RenderedRow(RowText Text, string Price, string Change, string Volume);

    private Task<IBrowserContext> NewContextAsync() => fixture.Browser.NewContextAsync(new BrowserNewContextOptions
    {
        ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        Locale = "zh-CN",
        TimezoneId = "Asia/Shanghai",
    });

    private async Task<(IPage Page, ConcurrentQueue<string> PageErrors)> NewPageAsync(IBrowserContext context)
    {
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var errors = new ConcurrentQueue<string>();
        page.PageError += (_, e) => errors.Enqueue(e);
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning") output.WriteLine($"console.{m.Type}: {m.Text}");
        };
        return (page, errors);
    }

    private static async Task<List<RenderedRow>> ReadRowsAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>(
            @"sel => JSON.stringify([...document.querySelectorAll(sel)].map(tr => {
                const t = c => tr.querySelector('td.' + c).textContent;
                return { code: tr.dataset.code, strategy: tr.dataset.strategy, name: t('name'), market: t('market'),
                         reason: t('reason'), price: t('price'), change: t('change'), volume: t('volume') };
            }))",
            RowSelector);
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(r =>
        {
            string S(string name) => r.GetProperty(name).GetString() ?? "";
            return new RenderedRow(new RowText(S("code"), S("strategy"), S("name"), S("market"), S("reason")), S("price"), S("change"), S("volume"));
        })];
    }

    private static Task<string> ColorOf(ILocator locator) =>
        locator.EvaluateAsync<string>("el => getComputedStyle(el).color");

    private static void RecordPrices(string text, ConcurrentDictionary<string, ConcurrentBag<decimal>> pushed)
    {
        if (text.Length == 0) return;
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        if (!root.TryGetProperty("type", out var type) || type.GetString() != "price_update") return;
        foreach (var row in root.GetProperty("data").EnumerateArray())
        {
            pushed.GetOrAdd(row.GetProperty("code").GetString()!, _ => []).Add(row.GetProperty("price").GetDecimal());
        }
    }
}
