using OrleansPrices.Grains.Hosting;
using System.Collections.Frozen;
using OrleansPrices.Grains;
using OrleansPrices.Market.Codes;

namespace OrleansPrices.Gateway.Prices;

/// <summary>
/// The universe as this gateway knows it (from the directory grain), to tell unknown codes from
/// known ones without a grain call per code. Loaded at start, refreshed every minute.
/// </summary>
public sealed partial class StockDirectory(
    IClusterClient cluster,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StockDirectory> logger) : BackgroundService
{
    private FrozenDictionary<string, StockInfo> _stocks = FrozenDictionary<string, StockInfo>.Empty;

    public int Count => _stocks.Count;

    public bool TryGet(string tsCode, out StockInfo info) => _stocks.TryGetValue(tsCode, out info!);

    /// <summary>Every stock's code.</summary>
    public IEnumerable<string> Codes => _stocks.Keys;

    /// <summary>Raised when a load found a different universe.</summary>
    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WaitForStartAsync(stoppingToken);

        var delay = TimeSpan.FromMilliseconds(200);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var stocks = await cluster.GetGrain<IStockDirectoryGrain>(IStockDirectoryGrain.Key).GetUniverse();
                if (stocks.Length > 0)
                {
                    var changed = stocks.Length != _stocks.Count || stocks.Any(s => !_stocks.ContainsKey(s.TsCode));
                    _stocks = stocks.ToFrozenDictionary(s => s.TsCode, StringComparer.Ordinal);
                    delay = TimeSpan.FromMinutes(1);
                    if (changed) Changed?.Invoke();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogLoadFailed(logger, ex.Message);
            }
            await Task.Delay(delay, time, stoppingToken);
        }
    }

    [LoggerMessage(EventId = 3601, Level = LogLevel.Warning, Message = "Loading the stock directory failed: {Error}")]
    private static partial void LogLoadFailed(ILogger logger, string error);
}
