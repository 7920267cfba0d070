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
}
