using System.Collections.Frozen;

namespace OrleansPrices.Gateway.Prices;

/// <summary>
/// The stocks of the brief's default stream: every stock on an active buy-signal list. Written by
/// <see cref="SignalLists"/> when the lists change, read by the broadcaster on every flush.
/// </summary>
public sealed class BroadcastScope
{
    private FrozenSet<string> _codes = FrozenSet<string>.Empty;

    public FrozenSet<string> Codes => Volatile.Read(ref _codes);

    public void Set(IEnumerable<string> codes) => Volatile.Write(ref _codes, codes.ToFrozenSet(StringComparer.Ordinal));
}
