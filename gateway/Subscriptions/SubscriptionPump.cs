using OrleansPrices.Gateway.Prices;

namespace OrleansPrices.Gateway.Subscriptions;

/// <summary>
/// Drives the subscription hub's timed work: signal-list changes reach it as they happen; every
/// 100 ms rate-limited values whose interval has passed go out (latest wins); every second the
/// market status is recomputed and, on a change, sent.
/// </summary>
public sealed partial class SubscriptionPump(SubscriptionHub hub, SignalLists lists, Broadcaster broadcaster, Market.Time.MarketClock clock, TimeProvider time, ILogger<SubscriptionPump> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        broadcaster.AddListener(hub);
        lists.ListChanged += hub.OnListChanged;
        try
        {
            using var timer = new PeriodicTimer(Period, time);
            var ticks = 0;
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (ticks++ % 10 == 0) hub.RefreshStatus(clock.Now());
                    hub.FlushPending();
                }
                catch (Exception ex)
                {
                    LogPumpFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lists.ListChanged -= hub.OnListChanged;
        }
    }

    [LoggerMessage(EventId = 3703, Level = LogLevel.Error, Message = "Subscription pump failed")]
    private static partial void LogPumpFailed(ILogger logger, Exception exception);
}
