using System.Collections.Immutable;
using Orleans.Streams;

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
public sealed class SignalListGrain(
    [PersistentState("signals", StreamNames.GridStore)] IPersistentState<SignalListState> state) : Grain, ISignalListGrain
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
        await state.WriteStateAsync();
        await _stream.OnNextAsync(change);
    }
}
