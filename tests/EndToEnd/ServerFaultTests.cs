using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansPrices.Gateway.Api;
using OrleansPrices.Gateway.Protocol;
using OrleansPrices.Tests.Infrastructure;
using OrleansPrices.Tests.Protocol;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>
/// A fault inside the server while it serves one connection: that client gets close 1011
/// ("reconnect"), the others carry on. The fault is a real one: a logging provider that fails
/// (Microsoft.Extensions.Logging passes a provider's exception on to the caller), on the gateway's
/// "closed by the server" event.
/// </summary>
public sealed class ServerFaultTests : IAsyncLifetime
{
    private GatewayHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayHost.StartAsync(services: s =>
    {
        s.AddSingleton<ILoggerProvider, FailingLogProvider>();
        // More specific than the host's "log nothing" filter, so this provider sees the socket endpoint's events.
        s.Configure<LoggerFilterOptions>(o => o.AddFilter<FailingLogProvider>(typeof(PriceSocketEndpoint).FullName, LogLevel.Information));
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_internal_error_on_a_connection_closes_it_with_1011_and_others_are_unaffected()
    {
        await using var other = await TestSocket.ConnectAsync(_host.WebSocket);
        await other.Next("connected");

        // An unmasked frame would be closed with 1002, but logging that close fails inside the server.
        using var raw = await RawWebSocket.ConnectAsync(_host.Http);
        await raw.Send(WebSocketTestFrames.Client(WebSocketOpcode.Text, "{\"type\":\"ping\"}"u8, masked: false));
        Assert.Equal(CloseCodes.InternalError, await raw.NextClose(TimeSpan.FromSeconds(10)));
        Assert.True(CloseCodes.ShouldReconnect(CloseCodes.InternalError));
        Assert.Equal(1, FailingLogProvider.Failures);

        await other.SendText("{\"type\":\"ping\"}");
        await other.Next("pong");
    }

    private sealed class FailingLogProvider : ILoggerProvider
    {
        private static int _failures;

        public static int Failures => Volatile.Read(ref _failures);

        public ILogger CreateLogger(string categoryName) => new Failing();

        public void Dispose()
        {
        }

        private sealed class Failing : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                // 3401: "Connection {ConnectionId} closed by the server with {CloseCode}".
                if (eventId.Id != 3401) return;
                Interlocked.Increment(ref _failures);
                throw new InvalidOperationException("log sink unavailable");
            }
        }
    }
}
