using OrleansPrices.Silo;

// A silo alone: the grains, their streams and the quote ingest, without the gateway, plus a small
// HTTP port (Urls) for /health/live, /health/ready and /metrics. With Cluster:Redis set it joins the Redis
// cluster (clustering and grain state on Redis) that gateways connect to as Orleans clients;
// without it, localhost clustering and memory storage.
var builder = WebApplication.CreateBuilder(args);
builder.AddPriceSiloHost();
var app = builder.Build();
app.MapSiloEndpoints();
await app.RunAsync();
