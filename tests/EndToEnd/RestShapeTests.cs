using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Grains;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Market.Strategies;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>Details of the REST bodies that a client written to the brief depends on.</summary>
public sealed partial class RestShapeTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [GeneratedRegex("\"(price|change_percent)\":(-?\\d+(\\.\\d+)?|null)")]
    private static partial Regex PriceField();

    [Fact]
    public async Task Prices_always_carry_decimals_like_the_briefs_floats()
    {
        var body = await SignalListWithRows();
        var matches = PriceField().Matches(body);
        Assert.NotEmpty(matches);
        Assert.All(matches, m => Assert.Matches("\\.\\d{2}$|null$", m.Value));
    }

    [Fact]
    public async Task Chinese_names_and_reasons_are_sent_as_utf8_not_escaped()
    {
        var body = await SignalListWithRows();
        Assert.Contains("\"signal_reason\":\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", body, StringComparison.Ordinal);
        Assert.Matches("\"name\":\"\\p{IsCJKUnifiedIdeographs}", body);
    }

    [Fact]
    public async Task The_strategy_filter_answers_with_the_canonical_name()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.Http };
        var body = await http.GetStringAsync(new Uri("/api/stocks/signal/buy?strategy=VOLUME_RATIO", UriKind.Relative));
        Assert.Contains("\"strategy\":\"volume_ratio\"", body, StringComparison.Ordinal);
        var all = await http.GetStringAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative));
        Assert.Contains("\"strategy\":null", all, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/stocks/quotes?codes=999999,600000.SH", "{\"code\":400,\"message\":\"unknown stock codes: 999999\",\"data\":{\"unknown\":[\"999999\"]}}")]
    [InlineData("/api/stocks/quotes", "{\"code\":400,\"message\":\"name at least one code: ?codes=600000.SH,000001\"}")]
    [InlineData("/api/stocks/signal/buy?strategy=foo", "{\"code\":400,\"message\":\"unknown strategy 'foo'; known strategies: volume_ratio, ma_cross\",\"data\":{\"known\":[\"volume_ratio\",\"ma_cross\"]}}")]
    public async Task Error_envelopes_leave_absent_fields_out(string path, string expected)
    {
        // As the brief's own error answer, {"code": 500, "message": ...}: no "data": null, no "unknown": null.
        using var http = new HttpClient { BaseAddress = fixture.Host.Http };
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_success_envelope_keeps_the_briefs_shape_with_its_nulls()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.Http };
        var body = await http.GetStringAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative));
        Assert.StartsWith("{\"code\":200,\"message\":\"buy signals fetched\",\"data\":{\"strategy\":null,\"signals\":[", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_signal_list_is_served_gzipped_to_clients_that_accept_it()
    {
        using var plain = new HttpClient { BaseAddress = fixture.Host.Http };
        var json = await plain.GetStringAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative));
        using var zipped = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = fixture.Host.Http };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/stocks/signal/buy", UriKind.Relative));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await zipped.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        var raw = await response.Content.ReadAsByteArrayAsync();
        // The cached answer is written as it is: its type, its length (not chunked), and Vary for caches.
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var length), "no Content-Length");
        Assert.Equal(raw.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), length.ToString());
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        using var gunzip = new System.IO.Compression.GZipStream(new MemoryStream(raw), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gunzip);
        var unzipped = await reader.ReadToEndAsync();
        Assert.True(raw.Length < unzipped.Length / 2, $"gzip {raw.Length} bytes of {unzipped.Length}");
        Assert.StartsWith("{\"code\":200", unzipped, StringComparison.Ordinal);
        Assert.StartsWith("{\"code\":200", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip;q=0", false)]
    [InlineData("br, identity", false)]
    [InlineData("identity", false)]
    [InlineData("gzip;q=0, deflate", false)]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("gzip, deflate, br, zstd", true)]
    [InlineData("deflate, gzip;q=0.5", true)]
    [InlineData("GZIP", true)]
    public async Task Gzip_goes_only_to_a_client_that_accepts_it(string acceptEncoding, bool gzipped)
    {
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = fixture.Host.Http };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/stocks/signal/buy", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        using var response = await http.SendAsync(request);
        Assert.Equal(gzipped ? ["gzip"] : [], response.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        var raw = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var length), "no Content-Length");
        Assert.Equal(raw.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), length.ToString());
        if (!gzipped) Assert.StartsWith("{\"code\":200", System.Text.Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listed_prices_move_in_the_body_while_the_lists_stay_the_same()
    {
        // Bodies are re-encoded in the background after a broadcast (not per request): two answers
        // with the same list versions must still show a listed stock's newer seq.
        using var http = new HttpClient { BaseAddress = fixture.Host.Http };
        static (string Versions, Dictionary<string, long> Seqs) Read(JsonElement body)
        {
            var data = body.GetProperty("data");
            var seqs = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var row in data.GetProperty("signals").EnumerateArray())
            {
                if (row.GetProperty("seq").ValueKind == JsonValueKind.Number) seqs[row.GetProperty("ts_code").GetString()!] = row.GetProperty("seq").GetInt64();
            }
            return (data.GetProperty("versions").GetRawText(), seqs);
        }

        var previous = Read(await http.GetFromJsonAsync<JsonElement>("/api/stocks/signal/buy"));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var moved = false;
        while (!moved && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            var next = Read(await http.GetFromJsonAsync<JsonElement>("/api/stocks/signal/buy"));
            moved = next.Versions == previous.Versions
                && next.Seqs.Any(kv => previous.Seqs.TryGetValue(kv.Key, out var before) && kv.Value > before);
            previous = next;
        }
        Assert.True(moved, "no listed price moved in the body between two answers with the same list versions within 20 s");
    }

    [Fact]
    public async Task List_changes_are_built_in_the_background_not_by_the_requests_that_find_them()
    {
        // Only a filter's first request builds its body. After that a list change has the body
        // rebuilt in the background: with no request at all, the body takes the new version, and a
        // request that comes while the rebuild is under way reads the body it finds (built on the
        // request, each change cost that request, and those that came meanwhile, several ms).
        // Its own gateway, whose market ticks once a minute: no price flush rebuilds the body
        // meanwhile, and the test changes a list itself, through its grain, as a StockGrain does.
        const string strategy = "volume_ratio";
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Market:Simulator:TickInterval"] = "00:01:00" });
        using var http = new HttpClient { BaseAddress = host.Http };
        var responses = host.Get<SignalListResponses>();
        var lists = host.Get<SignalLists>();
        var grain = host.Get<IGrainFactory>().GetGrain<ISignalListGrain>(strategy);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative))).StatusCode);
        Assert.NotNull(responses.Peek(null));
        var members = (await grain.GetList()).Entries.Select(e => e.TsCode).ToHashSet(StringComparer.Ordinal);
        var code = StockUniverse.Curated.Select(s => s.Code.ToString()).First(c => !members.Contains(c));
        var entry = new SignalEntry(code, "test", code[^2..], new Signal(strategy, Signal.Buy, "test", 3.5m, "test", DateTimeOffset.UtcNow));

        async Task ChangeAndWaitForTheBody(Func<Task> change)
        {
            await change();
            var version = (await grain.GetList()).Version;
            var deadline = DateTime.UtcNow.AddSeconds(5);
            long built;
            while ((built = VersionOf(responses.Peek(null)!.Json)) < version && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.True(built >= version, $"{strategy} changed to version {version}; 5 s later, with no request, the body still had {built}");
            var answered = VersionOf(await http.GetByteArrayAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative)));
            Assert.True(answered >= version, $"a request after the rebuild answered {strategy} version {answered}, older than {version}");
        }

        // No request at all until the body has the change.
        await ChangeAndWaitForTheBody(() => grain.Upsert(entry));
        await ChangeAndWaitForTheBody(() => grain.Remove(code));

        // A request while the rebuild is under way.
        var builtOnRequest = responses.BuiltOnRequest;
        var requestsDuringRebuild = 0;
        void OnChanged(string changed, IReadOnlyList<SignalEntry> added, IReadOnlyList<string> removed, long version)
        {
            // Raised after the responses' own handler queued the rebuild: this request finds the list
            // newer than the body.
            responses.Get(null);
            Interlocked.Increment(ref requestsDuringRebuild);
        }
        lists.ListChanged += OnChanged;
        try
        {
            await ChangeAndWaitForTheBody(() => grain.Upsert(entry));
            await ChangeAndWaitForTheBody(() => grain.Remove(code));
        }
        finally
        {
            lists.ListChanged -= OnChanged;
        }
        Assert.True(requestsDuringRebuild >= 2, $"only {requestsDuringRebuild} list changes reached the gateway");
        Assert.Equal(builtOnRequest, responses.BuiltOnRequest);

        static long VersionOf(byte[] json)
        {
            using var body = JsonDocument.Parse(json);
            return body.RootElement.GetProperty("data").GetProperty("versions").GetProperty(strategy).GetInt64();
        }
    }

    /// <summary>
    /// The signal list once it lists a signal: the fixture's gateway is ready when its lists are
    /// loaded, and the simulated market's first signals may come a moment later (a fresh clone's
    /// run once read an empty list 8 s in).
    /// </summary>
    private async Task<string> SignalListWithRows()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.Http };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var body = await http.GetStringAsync(new Uri("/api/stocks/signal/buy", UriKind.Relative));
            if (body.Contains("\"ts_code\"", StringComparison.Ordinal) || DateTime.UtcNow > deadline) return body;
            await Task.Delay(200);
        }
    }
}
