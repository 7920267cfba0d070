using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Gateway.Health;

/// <summary>How the gateway watches the cluster it depends on, bound from <c>Gateway:Health</c>.</summary>
public sealed class GridHealthOptions
{
    public const string Section = "Gateway:Health";

    /// <summary>How often the gateway pings Redis (cluster mode).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A ping not answered within this time has failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failed pings in a row that declare Redis unavailable (one success clears it).</summary>
    [Range(1, 100)]
    public int FailuresToDeclare { get; set; } = 2;
}
