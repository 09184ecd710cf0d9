"""taglens serve: a web page and an HTTP API over one loaded model (FastAPI + uvicorn, imported lazily).

    app.py        the FastAPI application: routes, limits, API key, errors as JSON
    inference.py  the model host: loads the model off the event loop, runs (and batches) requests on one thread
    uploads.py    uploaded media: type sniffing, size limits, decoding with taglens.media's guards in memory
    metrics.py    request counts and latency histograms in Prometheus' text format
    config.py     the server's settings (command-line flags and TAGLENS_API_KEY)
    static/       the page at / (HTML, CSS, JavaScript; no CDN)
"""
