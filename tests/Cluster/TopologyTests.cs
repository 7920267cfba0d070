using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// The local multi-process topology of <c>scripts/cluster.sh</c>: a real redis-server, two silo
/// processes and two gateway processes. Subscribers spread over both gateways get the same
/// updates; the silo holding the ingest lease is SIGKILLed and every subscriber keeps receiving;
/// a SIGTERMed gateway closes its clients with 1001 while the other gateway's keep receiving.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TopologyTests(ITestOutputHelper output)
{
    private const int Codes = 20;
    /// <summary>Every client gets some update this soon after the kill (stocks on the surviving silo keep flowing)…</summary>
    private static readonly TimeSpan KeepsReceiving = TimeSpan.FromSeconds(5);
    /// <summary>…and every one of its stocks again within this (the dead silo's stocks reactivate, streams are repaired).</summary>
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Two_silo_and_two_gateway_processes_deliver_the_same_updates_survive_a_silo_kill_and_close_with_1001_on_sigterm()
    {
        var total = Stopwatch.StartNew();
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        // The environment scripts/cluster.sh gives every process, with a fast market and fast failure detection.
        await using var topology = new TopologyProcesses(output, new Dictionary<string, string>
        {
            ["Cluster__Redis"] = redis.ConnectionString,
            ["Cluster__ServiceId"] = "topology-" + Guid.NewGuid().ToString("N")[..8],
            ["Cluster__ClusterId"] = "local",
            ["Cluster__AdvertisedHost"] = "127.0.0.1",
            ["Cluster__ProbeTimeout"] = "00:00:01",
            ["Market__Clock__AlwaysOpen"] = "true",
            ["Market__Simulator__UniverseSize"] = "300",
            ["Market__Simulator__TickInterval"] = "00:00:00.200",
            ["Grid__Ingest__Lease__Duration"] = "00:00:02",
            ["Grid__Ingest__Lease__RenewInterval"] = "00:00:00.300",
            ["Gateway__Subscriptions__CheckInterval"] = "00:00:00.500",
            ["Gateway__Subscriptions__StaleAfter"] = "00:00:01",
            ["Gateway__Subscriptions__ResubscribeBackoff"] = "00:00:02",
        });
        var silos = new[] { topology.StartSilo("silo1"), topology.StartSilo("silo2") };
        await topology.WaitReady(TimeSpan.FromSeconds(40), silos);
        var gateways = new[] { topology.StartGateway("gateway1"), topology.StartGateway("gateway2") };
        await topology.WaitReady(TimeSpan.FromSeconds(40), gateways);

        var codes = StockUniverse.Curated.Take(Codes).Select(s => s.Code.ToString()).ToArray();
        var clients = new List<Subscriber>();
        try
        {
            foreach (var gateway in gateways)
            {
                for (var i = 0; i < 2; i++) clients.Add(await Subscriber.Start($"{gateway.Name}/client{i + 1}", gateway.WebSocket, codes));
            }

            // Same updates everywhere: for every (stock, epoch, seq) two clients both got, the same values.
            await Task.Delay(TimeSpan.FromSeconds(4));
            var compared = 0;
            var overlap = new List<double>();
            foreach (var c in clients)
            {
                Assert.True(codes.All(c.Received.ContainsKey), $"{c.Name} got updates for only {c.Received.Count} of {Codes} stocks");
            }
            for (var a = 0; a < clients.Count; a++)
            {
                for (var b = a + 1; b < clients.Count; b++)
                {
                    var (same, shared, inRange) = Compare(clients[a], clients[b]);
                    compared += same;
                    overlap.Add(inRange == 0 ? 0 : (double)shared / inRange);
                }
            }
            output.WriteLine($"{clients.Count} subscribers on 2 gateways, {Codes} stocks: {compared} (stock, epoch, seq) rows seen by two clients compared, all equal; " +
                $"share of the common seq range both clients of a pair got: min {overlap.Min():P1}");
            Assert.True(compared > Codes * 6, $"only {compared} rows to compare");
            Assert.True(overlap.Min() > 0.9, $"a pair of clients shared only {overlap.Min():P1} of the updates in their common range");

            // kill -9 the silo that runs the ingest (the worst case: the lease must move too).
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1} s] killing the ingest lease holder");
            var victim = await silos[0].HoldsIngestLease() ? silos[0] : silos[1];
            var killed = Stopwatch.GetTimestamp();
            victim.Kill();
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < RecoveryDeadline && !clients.All(c => c.AllDeliveredSince(killed, codes)))
            {
                await Task.Delay(100);
            }
            foreach (var c in clients)
            {
                var again = c.DeliveredAgain(killed, codes);
                output.WriteLine($"{victim.Name} (ingest lease holder) SIGKILLed: {c.Name} got every stock again after {again?.TotalSeconds:F2} s " +
                    $"(first update after {c.FirstSince(killed)?.TotalSeconds:F2} s)");
                Assert.True(c.FirstSince(killed) < KeepsReceiving, $"{c.Name} got no update within {KeepsReceiving.TotalSeconds} s of the kill");
                Assert.True(again is not null, $"{c.Name} did not get every stock again within {RecoveryDeadline.TotalSeconds} s of the kill");
            }

            // SIGTERM a gateway: its clients are closed with 1001, the other gateway's keep receiving.
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1} s] SIGTERM to {gateways[0].Name}");
            var stopping = gateways[0];
            var terminated = Stopwatch.StartNew();
            stopping.Terminate();
            foreach (var c in clients.Where(c => c.Name.StartsWith(stopping.Name + "/", StringComparison.Ordinal)))
            {
                try
                {
                    await c.Socket.Reader.WaitAsync(TimeSpan.FromSeconds(15));
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"{c.Name} not closed 15 s after SIGTERM (socket {c.Socket.State}, {stopping.Name} {(stopping.HasExited ? "exited" : "still running")})");
                }
                Assert.Equal((WebSocketCloseStatus)CloseCodes.GoingAway, c.Socket.CloseStatus);
            }
            var closedAfter = terminated.Elapsed;
            await stopping.WaitForExit(TimeSpan.FromSeconds(20)); // Gateway:ShutdownTimeout (10 s) bounds it
            var exitedAfter = terminated.Elapsed;
            var sinceTerm = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(1));
            foreach (var c in clients.Where(c => !c.Name.StartsWith(stopping.Name + "/", StringComparison.Ordinal)))
            {
                Assert.True(c.FirstSince(sinceTerm) is not null, $"{c.Name} stopped receiving when {stopping.Name} stopped");
            }
            output.WriteLine($"{stopping.Name} SIGTERMed: its clients closed with 1001 after {closedAfter.TotalSeconds:F2} s, process exited with {stopping.ExitCode} after {exitedAfter.TotalSeconds:F1} s; " +
                $"the other gateway's clients kept receiving. Whole test {total.Elapsed.TotalSeconds:F0} s");
        }
        catch
        {
            foreach (var p in silos.Concat(gateways)) output.WriteLine($"--- {p.Name} (last lines)\n{p.Log}");
            throw;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>
    /// Rows of (stock, epoch, seq) both clients got must agree on every field both carry; and, per
    /// stock, in the seq range both clients covered, how many of the seqs either got both got.
    /// </summary>
    private static (int Same, int Shared, int InRange) Compare(Subscriber a, Subscriber b)
    {
        var same = 0;
        var shared = 0;
        var inRange = 0;
        foreach (var (code, rowsA) in a.Received)
        {
            if (!b.Received.TryGetValue(code, out var rowsB)) continue;
            var snapA = rowsA.ToDictionary();
            var snapB = rowsB.ToDictionary();
            foreach (var (key, rowA) in snapA)
            {
                if (!snapB.TryGetValue(key, out var rowB)) continue;
                foreach (var field in rowA.Row.EnumerateObject())
                {
                    if (rowB.Row.TryGetProperty(field.Name, out var other))
                    {
                        Assert.True(field.Value.GetRawText() == other.GetRawText(),
                            $"{code} epoch {key.Epoch} seq {key.Seq}: {a.Name} got {field.Name}={field.Value.GetRawText()}, {b.Name} got {other.GetRawText()}");
                    }
                }
                same++;
            }
            var epochs = snapA.Keys.Select(k => k.Epoch).Intersect(snapB.Keys.Select(k => k.Epoch));
            foreach (var epoch in epochs)
            {
                var seqA = snapA.Keys.Where(k => k.Epoch == epoch).Select(k => k.Seq).ToHashSet();
                var seqB = snapB.Keys.Where(k => k.Epoch == epoch).Select(k => k.Seq).ToHashSet();
                var lo = Math.Max(seqA.Min(), seqB.Min());
                var hi = Math.Min(seqA.Max(), seqB.Max());
                var union = seqA.Union(seqB).Where(s => s >= lo && s <= hi).ToArray();
                inRange += union.Length;
                shared += union.Count(s => seqA.Contains(s) && seqB.Contains(s));
            }
        }
        return (same, shared, inRange);
    }

    /// <summary>A subscriber: its socket and every row it got (update and snapshot), with receipt times.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly Task _reading;

        private Subscriber(string name, TestSocket socket)
        {
            Name = name;
            Socket = socket;
            _reading = Read();
        }

        public string Name { get; }
        public TestSocket Socket { get; }

        /// <summary>Per ts_code, per (epoch, seq): the row and when it arrived (Stopwatch timestamp).</summary>
        public ConcurrentDictionary<string, ConcurrentDictionary<(long Epoch, long Seq), (JsonElement Row, long At)>> Received { get; } = new();

        public static async Task<Subscriber> Start(string name, Uri uri, string[] codes)
        {
            var socket = await TestSocket.ConnectAsync(uri);
            await socket.Next("connected");
            await socket.SendText(JsonSerializer.Serialize(new { type = "subscribe", codes }));
            await socket.Next("subscribed");
            return new Subscriber(name, socket);
        }

        private async Task Read()
        {
            try
            {
                while (true)
                {
                    // A stock comes as a snapshot after an epoch change or a gap the history could not fill.
                    var m = await Socket.Next(null, TimeSpan.FromMinutes(5));
                    if (m.GetProperty("type").GetString() is not ("update" or "snapshot")) continue;
                    var at = Stopwatch.GetTimestamp();
                    foreach (var row in m.GetProperty("data").EnumerateArray())
                    {
                        var rows = Received.GetOrAdd(row.GetProperty("ts_code").GetString()!, _ => new());
                        rows[(row.GetProperty("epoch").GetInt64(), row.GetProperty("seq").GetInt64())] = (row, at);
                    }
                }
            }
            catch (Exception ex) when (ex is System.Threading.Channels.ChannelClosedException or OperationCanceledException)
            {
            }
        }

        private IEnumerable<long> ArrivalsSince(string code, long since) =>
            Received.TryGetValue(code, out var rows) ? rows.Values.Select(r => r.At).Where(t => t > since) : [];

        public bool AllDeliveredSince(long since, string[] codes) => codes.All(c => ArrivalsSince(c, since).Any());

        /// <summary>How long after <paramref name="since"/> the last of <paramref name="codes"/> got its first update, or null.</summary>
        public TimeSpan? DeliveredAgain(long since, string[] codes) =>
            AllDeliveredSince(since, codes) ? Stopwatch.GetElapsedTime(since, codes.Max(c => ArrivalsSince(c, since).Min())) : null;

        public TimeSpan? FirstSince(long since)
        {
            var first = Received.Keys.SelectMany(c => ArrivalsSince(c, since)).DefaultIfEmpty().Min();
            return first == 0 ? null : Stopwatch.GetElapsedTime(since, first);
        }

        public async ValueTask DisposeAsync()
        {
            await Socket.DisposeAsync();
            await _reading;
        }
    }
}
