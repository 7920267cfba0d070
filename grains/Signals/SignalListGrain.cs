using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using OrleansPrices.Grains.Hosting;

namespace OrleansPrices.Grains.Signals;

[GenerateSerializer, Alias("OrleansPrices.SignalListState")]
public sealed class SignalListState
{
    [Id(0)] public Dictionary<string, SignalEntry> Entries { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; set; }
}

/// <summary>
/// The active buy signals of one strategy. Written only when a stock's signal starts or ends (never
/// per tick); every change bumps the version and goes out on the strategy's signals stream so
/// gateways keep their cached copy current without polling.
/// </summary>
public sealed partial class SignalListGrain(
    [PersistentState("signals", StreamNames.GridStore)] IPersistentState<SignalListState> state,
    IGridStorageHealth storage,
    ILogger<SignalListGrain> logger) : Grain, ISignalListGrain
{
    private IAsyncStream<SignalChange> _stream = null!;
    private SignalListSnapshot? _snapshot;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stream = this.GetStreamProvider(StreamNames.Provider)
            .GetStream<SignalChange>(StreamNames.Signals(this.GetPrimaryKeyString()));
        return Task.CompletedTask;
    }

    public async Task Upsert(SignalEntry entry)
    {
        var s = state.State;
        if (s.Entries.TryGetValue(entry.TsCode, out var existing) && existing == entry) return;
        s.Entries[entry.TsCode] = entry;
        await Commit(new SignalChange(this.GetPrimaryKeyString(), s.Version + 1, entry, null));
    }

    public async Task Remove(string tsCode)
    {
        var s = state.State;
        if (!s.Entries.Remove(tsCode)) return;
        await Commit(new SignalChange(this.GetPrimaryKeyString(), s.Version + 1, null, tsCode));
    }

    public Task<SignalListSnapshot> GetList()
    {
        _snapshot ??= new SignalListSnapshot(
            this.GetPrimaryKeyString(),
            state.State.Version,
            [.. state.State.Entries.Values.OrderBy(e => e.TsCode, StringComparer.Ordinal)]);
        return Task.FromResult(_snapshot);
    }

    private async Task Commit(SignalChange change)
    {
        state.State.Version = change.Version;
        _snapshot = null;
        // Storage away (Redis down) must not hold back every StockGrain whose signal changes: the
        // change is published now and the list written with the next change once storage is back.
        if (storage.Available)
        {
            try
            {
                await state.WriteStateAsync().WaitAsync(WriteTimeout);
            }
            catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
            {
                LogWriteFailed(logger, this.GetPrimaryKeyString(), ex.Message);
            }
        }
        await _stream.OnNextAsync(change);
    }

    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "SignalListGrain {Strategy} could not write its state (written with the next change): {Error}")]
    private static partial void LogWriteFailed(ILogger logger, string strategy, string error);
}
