using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace OrleansPrices.Market.Strategies;

/// <summary>The strategies by name. Names match case-insensitively.</summary>
public sealed class StrategyCatalog
{
    private readonly FrozenDictionary<string, IStrategy> _byName;

    /// <summary>A catalog of <paramref name="strategies"/> (names must be distinct).</summary>
    /// <exception cref="ArgumentException">Two strategies share a name.</exception>
    public StrategyCatalog(IEnumerable<IStrategy> strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        All = strategies.ToArray();
        var byName = new Dictionary<string, IStrategy>(StringComparer.OrdinalIgnoreCase);
        foreach (var strategy in All)
        {
            if (!byName.TryAdd(strategy.Name, strategy))
            {
                throw new ArgumentException($"two strategies named '{strategy.Name}'", nameof(strategies));
            }
        }
        _byName = byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        KnownNames = string.Join(", ", All.Select(s => s.Name));
    }

    /// <summary><see cref="VolumeRatioBreakout"/> and <see cref="MaGoldenCross"/> with their default thresholds.</summary>
    public static StrategyCatalog Default { get; } = new([new VolumeRatioBreakout(), new MaGoldenCross()]);

    /// <summary>Every strategy, in catalog order.</summary>
    public IReadOnlyList<IStrategy> All { get; }

    /// <summary>The names, comma-separated, for error messages: <c>volume_ratio, ma_cross</c>.</summary>
    public string KnownNames { get; }

    public bool TryGet(string? name, [NotNullWhen(true)] out IStrategy? strategy)
    {
        strategy = null;
        return name is not null && _byName.TryGetValue(name.Trim(), out strategy);
    }
}
