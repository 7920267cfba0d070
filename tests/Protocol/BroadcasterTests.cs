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

    // 0 and 1.2 s: more than a window apart (a quiet gap of one window, the stream's pull period, cut
    // this in two, the way an agent that polls mid-tick brings the rest a period later), less than
    // the quiet gap of 1.5 windows.
    [Fact]
    public Task A_change_more_than_a_window_after_the_last_still_joins_the_flush() =>
        TwoChangesGoOutInOneFlush(Window * 1.2);

    [Fact]
    public Task Time_in_GC_pauses_is_not_quiet_so_a_pause_does_not_cut_a_tick_in_two()
    {
        // The pause total grows by 1.5 s right after the first change: of the 2 s until the second,
        // only 0.5 s count as quiet, so both go out together. Counted as quiet, the 1.5-window gap
        // had passed at 1.5 s and the first went out alone.
        var paused = TimeSpan.Zero;
        return TwoChangesGoOutInOneFlush(Window * 2, () => paused, () => paused = TimeSpan.FromSeconds(1.5));
    }

    /// <summary>Marks two stocks <paramref name="gap"/> apart and expects them in one flush.</summary>
    private static async Task TwoChangesGoOutInOneFlush(TimeSpan gap, Func<TimeSpan>? gcPauses = null, Action? afterFirst = null)
    {
        var (broadcaster, flushes, registry) = Start(gcPauses);
        try
        {
            broadcaster.MarkDirty("600000.SH");
            afterFirst?.Invoke();
            await Task.Delay(gap);
            broadcaster.MarkDirty("600001.SH");
            var flush = await flushes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(["600000.SH", "600001.SH"], flush.Codes.Order());
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

    private static (Broadcaster Broadcaster, System.Threading.Channels.Channel<Flush> Flushes, ConnectionRegistry Registry) Start(Func<TimeSpan>? gcPauses = null)
    {
        var options = Options.Create(new GatewayOptions { CoalesceWindow = Window });
        var metrics = new GatewayMetrics();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var registry = new ConnectionRegistry(options, TimeProvider.System, metrics, lifetime, NullLogger<ConnectionRegistry>.Instance);
        var broadcaster = new Broadcaster(new PriceBook(), new BroadcastScope(), registry, options, TimeProvider.System, metrics, NullLogger<Broadcaster>.Instance,
            gcPauses ?? (() => TimeSpan.Zero));
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
