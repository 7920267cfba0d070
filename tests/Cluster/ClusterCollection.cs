using Xunit;

namespace OrleansPrices.Tests.Cluster;

/// <summary>
/// The cluster tests measure recovery times (a silo kill, a Redis restart) against deadlines;
/// they run one at a time, after the parallel tests, so other tests' CPU use does not eat into them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster (serial)";
}
