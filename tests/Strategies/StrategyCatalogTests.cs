using OrleansPrices.Market.Strategies;
using Xunit;

namespace OrleansPrices.Tests.Strategies;

public sealed class StrategyCatalogTests
{
    [Fact]
    public void Default_catalog_holds_both_strategies()
    {
        var catalog = StrategyCatalog.Default;

        Assert.Equal(["volume_ratio", "ma_cross"], catalog.All.Select(s => s.Name));
        Assert.Equal("volume_ratio, ma_cross", catalog.KnownNames);
        Assert.All(catalog.All, s =>
        {
            Assert.False(string.IsNullOrWhiteSpace(s.Title));
            Assert.False(string.IsNullOrWhiteSpace(s.Description));
        });
    }

    [Theory]
    [InlineData("volume_ratio", true)]
    [InlineData("MA_CROSS", true)]
    [InlineData(" ma_cross ", true)]
    [InlineData("macd", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Lookup_by_name(string? name, bool found)
    {
        Assert.Equal(found, StrategyCatalog.Default.TryGet(name, out var strategy));
        Assert.Equal(found, strategy is not null);
    }

    [Fact]
    public void Duplicate_names_are_rejected() =>
        Assert.Throws<ArgumentException>(() => new StrategyCatalog([new MaGoldenCross(), new MaGoldenCross(3, 8)]));
}
