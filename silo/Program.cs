using OrleansPrices.Grains.Hosting;

// A silo alone: the grains, their streams and the quote ingest, without the gateway. With
// Cluster:Redis set it joins the Redis cluster (clustering and grain state on Redis) that gateways
// connect to as Orleans clients; without it, localhost clustering and memory storage.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo.AddPriceSilo(builder.Configuration));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
await builder.Build().RunAsync();
