using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Prices;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

public sealed class ShutdownTests
{
    [Fact]
    public async Task A_stopping_gateway_closes_its_clients_with_1001_going_away()
    {
        var host = await GatewayHost.StartAsync();
        await using var brief = await TestSocket.ConnectAsync(host.WebSocket);
        await brief.Next("connected");
        await using var subscriber = await TestSocket.ConnectAsync(host.WebSocket);
        await subscriber.Next("connected");
        await subscriber.SendText("{\"type\":\"subscribe\",\"codes\":[\"600519.SH\"]}");
        await subscriber.Next("subscribed");

        var stopping = host.DisposeAsync().AsTask();
        Assert.Equal((WebSocketCloseStatus)CloseCodes.GoingAway, await brief.WaitClosed(TimeSpan.FromSeconds(15)));
        Assert.Equal((WebSocketCloseStatus)CloseCodes.GoingAway, await subscriber.WaitClosed(TimeSpan.FromSeconds(15)));
        Assert.Equal("going away", brief.CloseDescription);
        await stopping;
    }

    [Fact]
    public async Task Stopping_the_co_hosted_gateway_logs_its_stream_unsubscriptions_in_one_line_not_one_per_stock()
    {
        var log = new WarningLog();
        var host = await GatewayHost.StartAsync(services: s =>
        {
            s.AddSingleton<ILoggerProvider>(log);
            s.Configure<LoggerFilterOptions>(o => o.AddFilter<WarningLog>(typeof(PriceSubscriptions).FullName, LogLevel.Warning));
        });
        // The signal lists' stocks are followed once the lists load.
        var subscriptions = host.Get<PriceSubscriptions>();
        for (var i = 0; i < 300 && subscriptions.Count < 10; i++) await Task.Delay(100);
        Assert.True(subscriptions.Count >= 10, $"the gateway follows {subscriptions.Count} stocks");

        // Co-hosted, the silo stops with the gateway: the unsubscribes at stop may all fail.
        await host.DisposeAsync();
        var perStock = log.Events.Count(e => e == 3102);
        var summaries = log.Events.Count(e => e == 3106);
        Assert.Equal(0, perStock);
        Assert.True(summaries <= 1, $"{summaries} summary lines");
    }

    private sealed class WarningLog : ILoggerProvider
    {
        public ConcurrentQueue<int> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Events);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<int> events) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                events.Enqueue(eventId.Id);
        }
    }
}
