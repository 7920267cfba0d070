using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>One real gateway shared by a test class (market held open, 300 stocks, 100 ms ticks).</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await GatewayHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
