using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansPrices.Gateway.Hosting;
using Xunit;

namespace OrleansPrices.Tests.EndToEnd;

/// <summary>Gateway:InlineSocketScheduling reaches Kestrel's socket transport (on unless set false).</summary>
public sealed class InlineSchedulingTests
{
    private static bool Inline(string? setting)
    {
        var services = new ServiceCollection();
        var values = new Dictionary<string, string?>();
        if (setting is not null) values["Gateway:InlineSocketScheduling"] = setting;
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddPriceFanOut();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling;
    }

    [Fact]
    public void On_by_default() => Assert.True(Inline(null));

    [Fact]
    public void Off_when_configured() => Assert.False(Inline("false"));

    private static IReadOnlyList<(string Name, string Value)> EnvironmentFor(string? setting, string? threadCount, int processors)
    {
        var values = new Dictionary<string, string?>();
        if (setting is not null) values["Gateway:InlineSocketScheduling"] = setting;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return GatewayHosting.InlineSocketEnvironment(configuration, name => name == "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT" ? threadCount : null, processors);
    }

    /// <summary>Inline completions, and socket threads enough to share the requests' work: at least four, one per core past that.</summary>
    [Theory]
    [InlineData(1, "4")]
    [InlineData(2, "4")]
    [InlineData(8, "8")]
    public void On_the_runtime_completes_inline_on_at_least_four_socket_threads(int processors, string threads) =>
        Assert.Equal([("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1"), ("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", threads)],
            EnvironmentFor(null, null, processors));

    [Fact]
    public void A_thread_count_set_in_the_environment_stands() =>
        Assert.Equal([("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1")], EnvironmentFor(null, "2", 1));

    [Fact]
    public void Off_sets_nothing() => Assert.Empty(EnvironmentFor("false", null, 1));
}
