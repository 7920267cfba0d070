using System.Globalization;

namespace OrleansPrices.Watch;

/// <summary>The command line: <c>--url ws://… [--codes a,b] [--list strategy|all] [--western] [--duration s] [--rows n]</c>.</summary>
internal sealed record WatchArguments(
    Uri Url,
    IReadOnlyList<string> Codes,
    IReadOnlyList<string?> Lists,
    bool Western,
    TimeSpan? Duration,
    int? MaxRows)
{
    public const string Usage = """
        usage: watch --url ws://127.0.0.1:8000/ws/stock/prices [--codes 600000.SH,000001] [--list volume_ratio|all]
                     [--western] [--duration SECONDS] [--rows N]
          --codes     follow these stocks (ts_code or six digits), snapshot then changes
          --list      follow a signal list (a strategy, or "all" for every strategy)
          --western   green up, red down (default: red up, green down as in China)
          --duration  exit after this many seconds (for scripts)
          --rows      show at most N rows (default: fit the terminal)
        With neither --codes nor --list the board shows the brief's default stream.
        """;

    public bool DefaultStream => Codes.Count == 0 && Lists.Count == 0;

    public static WatchArguments Parse(IReadOnlyList<string> args)
    {
        Uri? url = null;
        var codes = new List<string>();
        var lists = new List<string?>();
        var western = false;
        TimeSpan? duration = null;
        int? rows = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--url":
                    var text = Value();
                    if (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("ws" or "wss"))
                    {
                        throw new ArgumentException($"--url must be a ws:// or wss:// URL, not \"{text}\"");
                    }
                    break;
                case "--codes":
                    codes.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--list":
                    var list = Value();
                    lists.Add(list is "all" or "buy" ? null : list);
                    break;
                case "--western":
                    western = true;
                    break;
                case "--duration":
                    duration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--rows":
                    rows = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"unknown argument \"{args[i]}\"");
            }
        }
        return new WatchArguments(url ?? throw new ArgumentException("--url is required"), codes, lists, western, duration, rows);
    }
}
