using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansPrices.Market.Quotes;
using OrleansPrices.Market.Rules;
using OrleansPrices.Market.Simulation;
using OrleansPrices.Market.Time;

namespace OrleansPrices.Tests.Simulation;

/// <summary>A simulated market on a fake clock: each <see cref="TickAsync"/> advances one tick interval and polls.</summary>
internal sealed class SimulationHarness
{
    /// <summary>A Tuesday, a trading day.</summary>
    public static readonly DateOnly TradingDay = new(2026, 3, 10);

    private static readonly TradingCalendar SharedCalendar = TradingCalendar.LoadEmbedded();

    private SimulationHarness(SimulatorOptions options, FakeTimeProvider time, MarketClock clock, SimulatedMarket market)
    {
        Options = options;
        Time = time;
        Clock = clock;
        Market = market;
    }

    public SimulatorOptions Options { get; }

    public FakeTimeProvider Time { get; }

    public MarketClock Clock { get; }

    public SimulatedMarket Market { get; }

    public static TradingCalendar Calendar => SharedCalendar;

    /// <summary>An instant on a day, Shanghai time.</summary>
    public static DateTimeOffset At(DateOnly day, int hour, int minute, int second = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute, second)), MarketClock.ShanghaiOffset);

    public static SimulationHarness Create(
        int size = 300,
        int seed = SimulatorOptions.DefaultSeed,
        TimeSpan? tick = null,
        DateTimeOffset? start = null,
        bool alwaysOpen = false,
        Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions
        {
            UniverseSize = size,
            Seed = seed,
            TickInterval = tick ?? TimeSpan.FromSeconds(3),
        };
        configure?.Invoke(options);
        var time = new FakeTimeProvider(start ?? At(TradingDay, 9, 20));
        var clock = new MarketClock(SharedCalendar, time, Microsoft.Extensions.Options.Options.Create(new MarketClockOptions { AlwaysOpen = alwaysOpen }));
        var market = new SimulatedMarket(Microsoft.Extensions.Options.Options.Create(options), clock, PriceLimitRules.Default, time);
        return new SimulationHarness(options, time, clock, market);
    }

    /// <summary>Polls at the current time without advancing it.</summary>
    public async Task<IReadOnlyList<Quote>> PollAsync() => await Market.PollAsync(CancellationToken.None);

    /// <summary>Advances the clock by one tick interval, then polls.</summary>
    public async Task<IReadOnlyList<Quote>> TickAsync()
    {
        Time.Advance(Options.TickInterval);
        return await Market.PollAsync(CancellationToken.None);
    }

    /// <summary>Sets the clock to <paramref name="instant"/>, then polls.</summary>
    public async Task<IReadOnlyList<Quote>> PollAtAsync(DateTimeOffset instant)
    {
        Time.SetUtcNow(instant);
        return await Market.PollAsync(CancellationToken.None);
    }
}
