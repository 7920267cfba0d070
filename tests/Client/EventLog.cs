extern alias PriceClientLib;

using System.Diagnostics;
using PriceClientLib::OrleansPrices.Client;

namespace OrleansPrices.Tests.Clients;

/// <summary>Reads a client's events in the background, each with the time it was read.</summary>
internal sealed class EventLog : IAsyncDisposable
{
    private readonly List<(TimeSpan At, PriceEvent Event)> _events = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public EventLog(PriceClient client) => _reader = Task.Run(async () =>
    {
        try
        {
            await foreach (var e in client.ReadAllAsync(_stop.Token))
            {
                lock (_events) _events.Add((_clock.Elapsed, e));
            }
        }
        catch (OperationCanceledException)
        {
        }
    });

    public IReadOnlyList<(TimeSpan At, PriceEvent Event)> All
    {
        get
        {
            lock (_events) return [.. _events];
        }
    }

    public List<T> Of<T>() where T : PriceEvent => [.. All.Select(e => e.Event).OfType<T>()];

    public List<ConnectionState> States => [.. Of<ConnectionStateChanged>().Select(s => s.State)];

    /// <summary>Waits until <paramref name="condition"/> holds, polling; throws on timeout with <paramref name="what"/>.</summary>
    public static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (deadline.Elapsed > limit) throw new TimeoutException($"timed out after {limit.TotalSeconds} s waiting for {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
