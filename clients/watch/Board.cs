using System.Globalization;
using OrleansPrices.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrleansPrices.Watch;

/// <summary>
/// The terminal board: a header with the connection state and message counts, and a table of the
/// followed stocks (code, name, price, change %, volume) coloured by direction.
/// </summary>
internal sealed class Board(WatchArguments arguments, PriceClient client)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly Color _up = arguments.Western ? Color.Green : Color.Red;
    private readonly Color _down = arguments.Western ? Color.Red : Color.Green;
    private volatile StatusEvent? _status;
    private volatile ErrorEvent? _error;

    /// <summary>Notes what the header shows besides the client's own counters.</summary>
    public void Observe(PriceEvent e)
    {
        switch (e)
        {
            case StatusEvent s:
                _status = s;
                break;
            case ErrorEvent err:
                _error = err;
                break;
        }
    }

    public IRenderable Render(int maxRows)
    {
        var rows = SelectRows();
        var table = new Table().Border(TableBorder.Rounded).Expand();
        table.AddColumn("code");
        table.AddColumn("name");
        table.AddColumn(new TableColumn("price").RightAligned());
        table.AddColumn(new TableColumn("change %").RightAligned());
        table.AddColumn(new TableColumn("volume").RightAligned());
        foreach (var r in rows.Take(maxRows))
        {
            var colour = r.ChangePercent switch
            {
                > 0 => _up,
                < 0 => _down,
                _ => Color.Default,
            };
            var style = new Style(colour);
            table.AddRow(
                new Text(r.TsCode),
                new Text(r.Name ?? ""),
                new Text(r.Price?.ToString("0.00", Invariant) ?? "—", style),
                new Text(r.ChangePercent is { } c ? c.ToString("+0.00;-0.00;0.00", Invariant) : "—", style),
                new Text(r.Volume?.ToString("N0", Invariant) ?? "—"));
        }
        if (rows.Count > maxRows) table.Caption($"{maxRows} of {rows.Count} stocks");
        return new Rows(Header(rows.Count), table);
    }

    private Markup Header(int count)
    {
        var state = client.State;
        var stateColour = state.Phase switch
        {
            ConnectionPhase.Live => "green",
            ConnectionPhase.Closed => "red",
            _ => "yellow",
        };
        var stats = client.Statistics;
        var what = arguments.DefaultStream
            ? "default stream (brief)"
            : string.Join(" ", new[]
            {
                arguments.Codes.Count > 0 ? $"codes {string.Join(',', arguments.Codes)}" : null,
                arguments.Lists.Count > 0 ? $"list {string.Join(',', arguments.Lists.Select(l => l ?? "all"))}" : null,
            }.Where(s => s is not null));
        var counts = string.Join("  ", stats.MessagesByType.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
        var market = _status is { } s ? $"market {s.Phase}{(s.Stale ? " (stale)" : "")}  " : "";
        var error = _error is { } e ? $"\n[red]last error[/] {Markup.Escape($"{e.Code}: {e.Message}")}" : "";
        return new Markup(
            $"[bold]OrleansPrices watch[/]  {Markup.Escape(arguments.Url.ToString())}  {Markup.Escape(what)}\n" +
            $"[{stateColour}]{Markup.Escape(state.ToString())}[/]  connections {stats.Connections}  {market}stocks {count}\n" +
            $"messages {stats.MessagesReceived}  {Markup.Escape(counts)}" + error);
    }

    /// <summary>The rows to show: the followed codes and list members, or everything from the default stream.</summary>
    private List<StockRow> SelectRows()
    {
        var table = client.Table;
        IEnumerable<StockRow> rows;
        if (arguments.DefaultStream)
        {
            rows = table.Values;
        }
        else
        {
            var wanted = new HashSet<string>(arguments.Codes, StringComparer.OrdinalIgnoreCase);
            var members = new Dictionary<string, SignalRow>(StringComparer.Ordinal);
            foreach (var list in client.SignalLists.Values)
            {
                foreach (var (code, signal) in list.Rows) members.TryAdd(code, signal);
            }
            rows = table.Values
                .Where(r => wanted.Contains(r.TsCode) || wanted.Contains(SubscriptionSet.Bare(r.TsCode)) || members.ContainsKey(r.TsCode))
                .Concat(members.Values
                    .Where(m => !table.ContainsKey(m.TsCode))
                    .Select(m => new StockRow { TsCode = m.TsCode, Code = m.Code, Name = m.Name, Price = m.Price, ChangePercent = m.ChangePercent, Volume = m.Volume }));
        }
        return [.. rows.OrderByDescending(r => r.ChangePercent ?? decimal.MinValue).ThenBy(r => r.TsCode, StringComparer.Ordinal)];
    }
}
