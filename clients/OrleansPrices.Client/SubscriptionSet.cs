using OrleansPrices.Client.Protocol;

namespace OrleansPrices.Client;

/// <summary>
/// What the client has asked to follow: codes (each with its max rate) and signal lists. Pure
/// bookkeeping; it also plans the messages that restore the subscriptions on a new connection.
/// </summary>
public sealed class SubscriptionSet
{
    /// <summary>Most codes or positions per message (the server's limit).</summary>
    public const int MaxCodesPerMessage = 1000;

    private readonly Dictionary<string, double?> _codes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _strategies = new(StringComparer.Ordinal);

    /// <summary>Codes as the caller wrote them (ts_code or six digits), with their max rate per second (null: every change).</summary>
    public IReadOnlyDictionary<string, double?> Codes => _codes;

    /// <summary>Strategies whose list is followed.</summary>
    public IReadOnlyCollection<string> Strategies => _strategies;

    /// <summary>True after subscribing to the list without a strategy (every strategy).</summary>
    public bool AllStrategies { get; private set; }

    /// <summary>True while nothing is subscribed: the connection gets the brief's default stream.</summary>
    public bool IsEmpty => _codes.Count == 0 && _strategies.Count == 0 && !AllStrategies;

    public void AddCodes(IEnumerable<string> codes, double? maxRate)
    {
        foreach (var c in codes) _codes[c] = maxRate;
    }

    public void RemoveCodes(IEnumerable<string> codes)
    {
        foreach (var c in codes) _codes.Remove(c);
    }

    public void AddList(string? strategy)
    {
        if (strategy is null) AllStrategies = true;
        else _strategies.Add(strategy);
    }

    public void RemoveList(string? strategy)
    {
        if (strategy is null)
        {
            AllStrategies = false;
            _strategies.Clear();
        }
        else
        {
            _strategies.Remove(strategy);
        }
    }

    /// <summary>True when <paramref name="tsCode"/> (e.g. 600000.SH) is one of the followed codes, written either way.</summary>
    public bool Follows(string tsCode) => _codes.ContainsKey(tsCode) || _codes.ContainsKey(Bare(tsCode));

    /// <summary>
    /// The messages that restore every subscription on a new connection: per max rate, a
    /// <c>resume</c> with the positions held for the codes that have one (the server replays what
    /// was missed or sends a snapshot) and a <c>subscribe</c> for the codes that have none; the
    /// named lists ride on the first rate-free resume, any others are subscribed again.
    /// </summary>
    public IReadOnlyList<byte[]> RestoreMessages(IReadOnlyDictionary<string, StreamPosition> positions, Func<string> nextId)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(nextId);
        var byBare = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in positions.Keys) byBare.TryAdd(Bare(key), key);

        var messages = new List<byte[]>();
        var listsSent = false;
        foreach (var group in _codes.GroupBy(c => c.Value).OrderBy(g => g.Key.HasValue))
        {
            var held = new Dictionary<string, StreamPosition>(StringComparer.Ordinal);
            var fresh = new List<string>();
            foreach (var (code, _) in group)
            {
                if (positions.TryGetValue(code, out var p)) held[code] = p;
                else if (byBare.TryGetValue(code, out var key)) held[key] = positions[key];
                else fresh.Add(code);
            }
            foreach (var chunk in held.Chunk(MaxCodesPerMessage))
            {
                var lists = !listsSent && group.Key is null && !AllStrategies ? _strategies.Order(StringComparer.Ordinal).ToList() : [];
                listsSent |= lists.Count > 0;
                messages.Add(ClientMessages.Resume(nextId(), chunk.ToDictionary(StringComparer.Ordinal), lists, group.Key));
            }
            foreach (var chunk in fresh.Chunk(MaxCodesPerMessage))
            {
                messages.Add(ClientMessages.Subscribe(nextId(), chunk, group.Key));
            }
        }
        if (AllStrategies)
        {
            messages.Add(ClientMessages.SubscribeList(nextId(), null));
        }
        else if (!listsSent)
        {
            foreach (var s in _strategies.Order(StringComparer.Ordinal)) messages.Add(ClientMessages.SubscribeList(nextId(), s));
        }
        return messages;
    }

    /// <summary>The six digits of a ts_code (<c>600000.SH</c> → <c>600000</c>).</summary>
    public static string Bare(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        var dot = code.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? code : code[..dot];
    }
}
