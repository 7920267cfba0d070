using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansPrices.Grains;
using OrleansPrices.Tests.Infrastructure;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary><c>Grid:Streams:CacheAge</c>: how long the pulling agents keep delivered deltas (Orleans keeps them 30 minutes).</summary>
public sealed class StreamCacheTests
{
    [Fact]
    public async Task The_agents_cache_keeps_deltas_for_the_configured_age_and_prices_flow_on_after_it_drops_them()
    {
        await using var host = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Grid:Streams:CacheAge"] = "00:00:02",
            ["Gateway:DefaultStream"] = "AllStocks",
            ["Market:Simulator:UniverseSize"] = "60",
            ["Market:Simulator:TradeEveryPoll"] = "true",
        });
        var eviction = host.Services.GetRequiredService<IOptionsMonitor<StreamCacheEvictionOptions>>().Get(StreamNames.Provider);
        Assert.Equal(TimeSpan.FromSeconds(2), eviction.DataMaxAgeInCache);
        Assert.Equal(TimeSpan.FromSeconds(1), eviction.DataMinTimeInCache);

        await using var ws = await TestSocket.ConnectAsync(host.WebSocket);
        await ws.Next("connected");
        await ws.Next("price_update");
        // Well past the age: the caches have dropped what they delivered first, and deliveries go on.
        var until = DateTime.UtcNow.AddSeconds(6);
        var updates = 0;
        while (DateTime.UtcNow < until)
        {
            await ws.Next("price_update");
            updates++;
        }
        await ws.Next("price_update");
        Assert.True(updates >= 3, $"{updates} price_update messages in 6 s");
    }

    [Fact]
    public void A_cache_age_outside_two_seconds_to_thirty_minutes_is_refused()
    {
        var options = new OrleansPrices.Grains.Hosting.StreamOptions { CacheAge = TimeSpan.FromSeconds(1) };
        var error = Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() =>
            System.ComponentModel.DataAnnotations.Validator.ValidateObject(options, new(options), validateAllProperties: true));
        Assert.Contains(nameof(options.CacheAge), error.Message);
    }
}
