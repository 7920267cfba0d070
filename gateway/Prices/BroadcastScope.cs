using System.Collections.Frozen;

namespace OrleansPrices.Gateway.Prices;

/// <summary>What the brief's default stream (a connection that never subscribes) carries.</summary>
public enum DefaultStreamScope
{
    /// <summary>Every stock on an active buy-signal list: the brief's stream.</summary>
    SignalLists,

    /// <summary>Every stock of the universe (a small universe's market board, or a benchmark feed).</summary>
    AllStocks,
}

/// <summary>
/// The stocks of the brief's default stream (see <see cref="DefaultStreamScope"/>). Written by
/// <see cref="SignalLists"/> when the lists or the universe change, read by the broadcaster on every flush.
/// </summary>
public sealed class BroadcastScope
{
    private FrozenSet<string> _codes = FrozenSet<string>.Empty;

    public FrozenSet<string> Codes => Volatile.Read(ref _codes);

    public void Set(IEnumerable<string> codes) => Volatile.Write(ref _codes, codes.ToFrozenSet(StringComparer.Ordinal));
}
