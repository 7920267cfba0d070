using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace OrleansPrices.Client;

/// <summary>One strategy's list as the client holds it: its version and its rows by ts_code.</summary>
public sealed record SignalList(string Strategy, long Version, ImmutableDictionary<string, SignalRow> Rows);

/// <summary>
/// The signal lists the client follows, kept by applying <c>signal_update</c> messages. Pure; one
/// writer, any number of readers. A snapshot replaces the strategy's list; an increment adds and
/// removes rows and is ignored when its version is not newer than the one held.
/// </summary>
public sealed class SignalBook
{
    private readonly ConcurrentDictionary<string, SignalList> _lists = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, SignalList> Lists => _lists;

    /// <summary>Increments that skipped versions (a change was missed; a resubscribe brings a fresh snapshot).</summary>
    public long Gaps { get; private set; }

    /// <summary>True when any followed list holds the stock.</summary>
    public bool Contains(string tsCode) => _lists.Values.Any(l => l.Rows.ContainsKey(tsCode));

    /// <summary>Every stock on any followed list.</summary>
    public IReadOnlySet<string> Members() => _lists.Values.SelectMany(l => l.Rows.Keys).ToHashSet(StringComparer.Ordinal);

    /// <summary>Applies one message; false when it was stale and ignored.</summary>
    public bool Apply(SignalUpdateEvent update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.IsSnapshot)
        {
            _lists[update.Strategy] = new SignalList(update.Strategy, update.Version, update.Added.ToImmutableDictionary(r => r.TsCode, StringComparer.Ordinal));
            return true;
        }
        if (!_lists.TryGetValue(update.Strategy, out var held))
        {
            held = new SignalList(update.Strategy, 0, ImmutableDictionary.Create<string, SignalRow>(StringComparer.Ordinal));
        }
        else if (update.Version <= held.Version)
        {
            return false;
        }
        else if (update.Version > held.Version + 1)
        {
            Gaps++;
        }
        var rows = held.Rows.RemoveRange(update.Removed).SetItems(update.Added.Select(r => KeyValuePair.Create(r.TsCode, r)));
        _lists[update.Strategy] = new SignalList(update.Strategy, update.Version, rows);
        return true;
    }

    /// <summary>Forgets a strategy's list (after unsubscribing it); null forgets every list.</summary>
    public void Remove(string? strategy)
    {
        if (strategy is null) _lists.Clear();
        else _lists.TryRemove(strategy, out _);
    }
}
