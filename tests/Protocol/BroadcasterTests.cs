using System.Diagnostics;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Connections;
using OrleansPrices.Gateway.Hosting;
using OrleansPrices.Gateway.Prices;
using Xunit;

namespace OrleansPrices.Tests.Protocol;

/// <summary>
/// The broadcaster's coalescing on the real clock: changes that keep coming go out as one message
/// (a tick's deltas reach the gateway over several stream pulls), but never later than
/// <see cref="Broadcaster.SettleWindows"/> windows after the first.
/// </summary>
public sealed class BroadcasterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Changes_that_keep_coming_past_the_window_go_out_in_one_flush()
    {
        var (broadcaster, flushes, registry) = Start();
        try
        {
            // 11 changes 150 ms apart: 1.5 s, past the 1 s window; each well within a window of the last.
            var codes = Enumerable.Range(0, 11).Select(i => $"60{i:D4}.SH").ToArray();
            foreach (var code in codes)
            {
                broadcaster.MarkDirty(code);
                await Task.Delay(150);
            }
            var flush = await flushes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(codes.Order(), flush.Codes.Order());
        }
        finally
        {
            await Stop(broadcaster, registry);
        }
    }

    [Fact]
    public async Task A_change_less_than_a_window_after_the_last_joins_the_flush()
    {
        var (broadcaster, flushes, registry) = Start();
        try
        {
            // 0, 0.7 and 1.4 s: each gap is more than half a window (a quiet gap of half a window cut
            // this in two, the way two stream pulls almost a period apart split a tick) and less than one.
            string[] codes = ["600000.SH", "600001.SH", "600002.SH"];
            foreach (var code in codes)
            {
                if (code != codes[0]) await Task.Delay(Window * 0.7);
                broadcaster.MarkDirty(code);
            }
            var flush = await flushes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(codes, flush.Codes.Order());
        }
        finally
        {
            await Stop(broadcaster, registry);
        }
    }

    [Fact]
    public async Task A_flush_waits_at_most_the_settle_limit_while_changes_never_pause()
    {
        var (broadcaster, flushes, registry) = Start();
        try
        {
            var started = Stopwatch.GetTimestamp();
            using var marking = new CancellationTokenSource();
            var marker = Task.Run(async () =>
            {
                for (var i = 0; !marking.IsCancellationRequested; i++)
                {
                    broadcaster.MarkDirty($"00{i % 10000:D4}.SZ");
                    await Task.Delay(100);
                }
            });
            var flush = await flushes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            await marking.CancelAsync();
            await marker;
            var after = Stopwatch.GetElapsedTime(started, flush.At);
            // Past the first window, as changes kept coming (a stall of the marking thread on a busy
            // machine may end the wait before the limit); never much past the limit.
            Assert.True(after > Window, $"flushed after {after} with {flush.Codes.Length} codes");
            Assert.True(after < Window * (Broadcaster.SettleWindows + 2), $"flushed after {after}");
        }
        finally
        {
            await Stop(broadcaster, registry);
        }
    }

    private static (Broadcaster Broadcaster, System.Threading.Channels.Channel<Flush> Flushes, ConnectionRegistry Registry) Start()
    {
        var options = Options.Create(new GatewayOptions { CoalesceWindow = Window });
        var metrics = new GatewayMetrics();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var registry = new ConnectionRegistry(options, TimeProvider.System, metrics, lifetime, NullLogger<ConnectionRegistry>.Instance);
        var broadcaster = new Broadcaster(new PriceBook(), new BroadcastScope(), registry, options, TimeProvider.System, metrics, NullLogger<Broadcaster>.Instance);
        var flushes = System.Threading.Channels.Channel.CreateUnbounded<Flush>();
        broadcaster.AddListener(new Listener(flushes.Writer));
        broadcaster.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (broadcaster, flushes, registry);
    }

    private static async Task Stop(Broadcaster broadcaster, ConnectionRegistry registry)
    {
        await broadcaster.StopAsync(CancellationToken.None);
        broadcaster.Dispose();
        registry.Dispose();
    }

    private sealed record Flush(string[] Codes, long At);

    private sealed class Listener(System.Threading.Channels.ChannelWriter<Flush> flushes) : IPriceChangeListener
    {
        public void OnChanged(IReadOnlyCollection<string> tsCodes) => flushes.TryWrite(new Flush([.. tsCodes], Stopwatch.GetTimestamp()));
    }
}
