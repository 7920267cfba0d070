// Fires sequential GET requests (one in flight) at the signal list and prints one line of JSON:
// latency percentiles in microseconds and requests per second. The concurrent mode is wrk's
// (bench/rest/wrk-report.lua); this one shows the latency of a lone client.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

var url = "http://127.0.0.1:8000/api/stocks/signal/buy";
var requests = 1000;
var warmup = 100;
var label = "";
// --gzip: accept gzip as app HTTP stacks do (Dart's http, OkHttp, NSURLSession).
var gzip = args.Contains("--gzip");
args = [.. args.Where(a => a != "--gzip")];
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--url": url = args[i + 1]; break;
        case "--requests": requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--label": label = args[i + 1]; break;
        default:
            Console.Error.WriteLine("usage: RestBench [--url URL] [--requests 1000] [--warmup 100] [--label TEXT] [--gzip]");
            return 2;
    }
}

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseProxy = false, AutomaticDecompression = gzip ? System.Net.DecompressionMethods.GZip : System.Net.DecompressionMethods.None })
{
    Timeout = TimeSpan.FromSeconds(10),
};
var latencies = new long[requests];
long bytes = 0;
var errors = 0;
var status = new Dictionary<int, int>();
for (var i = -warmup; i < requests; i++)
{
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (i < 0)
        {
            continue;
        }
        latencies[i] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        bytes += body.Length;
        var code = (int)response.StatusCode;
        status[code] = status.GetValueOrDefault(code) + 1;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            errors++;
        }
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        if (i >= 0)
        {
            latencies[i] = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            errors++;
        }
    }
}

var sorted = latencies.Order().ToArray();
long Quantile(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
var totalSeconds = latencies.Sum() / 1e6;
var result = new Dictionary<string, object>
{
    ["label"] = label,
    ["mode"] = "sequential",
    ["url"] = url,
    ["requests"] = requests,
    ["errors"] = errors,
    ["status"] = status.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
    ["mean_body_bytes"] = requests > 0 ? bytes / requests : 0,
    ["requests_per_s"] = Math.Round(requests / totalSeconds, 1),
    ["lat_us"] = new Dictionary<string, long>
    {
        ["p50"] = Quantile(0.50),
        ["p90"] = Quantile(0.90),
        ["p99"] = Quantile(0.99),
        ["max"] = sorted[^1],
    },
};
Console.WriteLine(JsonSerializer.Serialize(result));
return errors == requests ? 1 : 0;
