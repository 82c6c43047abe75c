"""Provider adapters: translate ChatRequest to each wire format over one shared httpx client."""
