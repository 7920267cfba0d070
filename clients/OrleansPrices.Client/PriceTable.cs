using System.Collections.Concurrent;

namespace OrleansPrices.Client;

/// <summary>
/// The local table of current values, keyed by ts_code, kept by applying snapshot, update and
/// price_update rows. Pure (no I/O, no clock); one writer at a time, any number of readers of
/// <see cref="Rows"/>.
/// <para>
/// Every field remembers the (epoch, seq) of the row that set it, and a row sets a field only when
/// it is newer than that: last-writer-wins per field. So an update not newer than what is held
/// changes nothing (stale or duplicate), and a snapshot followed by its updates gives the same
/// table in whatever order they are applied. A snapshot row of a different epoch than the one
/// held (history was lost on the server) replaces the stock's row outright. Brief
/// <c>price_update</c> rows carry no position: they overwrite the fields they carry, as new as
/// the newest position held.
/// </para>
/// </summary>
public sealed class PriceTable
{
    private const int FieldCount = 14;
    private static readonly StreamPosition Unversioned = new(long.MinValue, long.MinValue);

    private readonly Dictionary<string, StreamPosition[]> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StockRow> _rows = new(StringComparer.Ordinal);

    /// <summary>The current row of every stock, by ts_code.</summary>
    public IReadOnlyDictionary<string, StockRow> Rows => _rows;

    /// <summary>Rows (of updates and price_updates) that changed at least one field.</summary>
    public long Applied { get; private set; }

    /// <summary>Update rows ignored because every field they carried was already as new or newer.</summary>
    public long Ignored { get; private set; }

    /// <summary>The position of every stock that has one (the newest snapshot or update applied).</summary>
    public IReadOnlyDictionary<string, StreamPosition> Positions() =>
        _rows.Where(r => r.Value.Position is not null).ToDictionary(r => r.Key, r => r.Value.Position!.Value, StringComparer.Ordinal);

    public void Apply(PriceEvent message)
    {
        switch (message)
        {
            case SnapshotEvent s:
                foreach (var row in s.Rows) ApplySnapshot(row);
                break;
            case UpdateEvent u:
                foreach (var row in u.Rows) ApplyUpdate(row);
                break;
            case PriceUpdateEvent p:
                foreach (var row in p.Rows) ApplyPriceUpdate(row);
                break;
        }
    }

    /// <summary>A full row: replaces the stock's row (per-field last-writer-wins within the epoch held).</summary>
    public void ApplySnapshot(StockRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Position is not { } p)
        {
            ApplyPriceUpdate(row);
            return;
        }
        if (!_rows.TryGetValue(row.TsCode, out var held) || held.Position is not { } hp || hp.Epoch != p.Epoch)
        {
            var versions = new StreamPosition[FieldCount];
            Array.Fill(versions, p);
            _versions[row.TsCode] = versions;
            _rows[row.TsCode] = row;
            return;
        }
        Merge(row.TsCode, held, row, p, inclusive: true);
    }

    /// <summary>An increment: sets only the fields present that are newer than the ones held.</summary>
    public bool ApplyUpdate(StockRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Position is not { } p) return ApplyPriceUpdate(row);
        if (!_rows.TryGetValue(row.TsCode, out var held))
        {
            held = new StockRow { TsCode = row.TsCode };
            var versions = new StreamPosition[FieldCount];
            Array.Fill(versions, Unversioned);
            _versions[row.TsCode] = versions;
        }
        return Count(Merge(row.TsCode, held, row, p, inclusive: false));
    }

    /// <summary>A brief row (no position): sets the fields it carries.</summary>
    public bool ApplyPriceUpdate(StockRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!_rows.TryGetValue(row.TsCode, out var held))
        {
            held = new StockRow { TsCode = row.TsCode };
            var versions = new StreamPosition[FieldCount];
            Array.Fill(versions, Unversioned);
            _versions[row.TsCode] = versions;
        }
        var at = held.Position ?? Unversioned;
        return Count(Merge(row.TsCode, held, row with { Position = held.Position }, at, inclusive: true));
    }

    /// <summary>Forgets a stock (after unsubscribing it).</summary>
    public bool Remove(string tsCode)
    {
        _versions.Remove(tsCode);
        return _rows.TryRemove(tsCode, out _);
    }

    private bool Count(bool changed)
    {
        if (changed) Applied++;
        else Ignored++;
        return changed;
    }

    private bool Merge(string key, StockRow held, StockRow incoming, StreamPosition at, bool inclusive)
    {
        var v = _versions[key];
        var changed = false;
        var r = held;

        bool Take(int field, bool present)
        {
            if (!present) return false;
            if (inclusive ? at < v[field] : at <= v[field]) return false;
            v[field] = at;
            changed = true;
            return true;
        }

        if (Take(0, incoming.Code is not null)) r = r with { Code = incoming.Code };
        if (Take(1, incoming.Name is not null)) r = r with { Name = incoming.Name };
        if (Take(2, incoming.Price is not null)) r = r with { Price = incoming.Price };
        if (Take(3, incoming.ChangePercent is not null)) r = r with { ChangePercent = incoming.ChangePercent };
        if (Take(4, incoming.Volume is not null)) r = r with { Volume = incoming.Volume };
        if (Take(5, incoming.Amount is not null)) r = r with { Amount = incoming.Amount };
        if (Take(6, incoming.Open is not null)) r = r with { Open = incoming.Open };
        if (Take(7, incoming.High is not null)) r = r with { High = incoming.High };
        if (Take(8, incoming.Low is not null)) r = r with { Low = incoming.Low };
        if (Take(9, incoming.PreClose is not null)) r = r with { PreClose = incoming.PreClose };
        if (Take(10, incoming.Bid is not null)) r = r with { Bid = incoming.Bid };
        if (Take(11, incoming.Ask is not null)) r = r with { Ask = incoming.Ask };
        if (Take(12, incoming.Suspended is not null)) r = r with { Suspended = incoming.Suspended };
        if (Take(13, incoming.Time is not null)) r = r with { Time = incoming.Time };

        if (incoming.Position is { } p && (r.Position is not { } hp || p > hp))
        {
            r = r with { Position = p };
            changed = true;
        }
        if (changed || !_rows.ContainsKey(key)) _rows[key] = r;
        return changed;
    }
}
