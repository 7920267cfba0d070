using System.ComponentModel.DataAnnotations;

namespace OrleansPrices.Grains.Hosting;

/// <summary>
/// How a silo or gateway finds its cluster, bound from <c>Cluster</c>. With <see cref="Redis"/>
/// empty (the default) the process runs the embedded default: localhost clustering and in-memory
/// storage. With a Redis connection string, silos cluster and store grain state on Redis and the
/// gateway runs as an Orleans client of that cluster.
/// </summary>
/// <remarks>Not named <c>ClusterOptions</c> so it never collides with Orleans' own.</remarks>
public sealed class GridClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>A StackExchange.Redis connection string (<c>redis:6379</c>); empty: the embedded default.</summary>
    public string Redis { get; set; } = "";

    /// <summary>Orleans ServiceId: keeps grain state apart across deployments (part of every Redis key).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string ServiceId { get; set; } = "orleansprices";

    /// <summary>Orleans ClusterId: silos and clients with the same one form one cluster.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string ClusterId { get; set; } = "orleansprices";

    /// <summary>Silo-to-silo port.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients (gateways) connect to.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// Cluster mode only: the address other silos and gateways reach this silo at (an IP or a host
    /// name); empty: this machine's host name (a container's own address under Docker).
    /// </summary>
    public string AdvertisedHost { get; set; } = "";

    /// <summary>
    /// Cluster mode only: how long a silo waits for a probe's answer. Two missed probes declare a
    /// silo dead, and only then do its grains (StockGrains, the ingest lease) reactivate elsewhere,
    /// so this bounds recovery from a crashed silo (Orleans' default is 5 s with three misses).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}
