package com.fieldledger.sample.core

import java.net.URI
import java.net.http.HttpClient
import java.time.Duration
import java.util.concurrent.atomic.AtomicInteger
import uniffi.mobile_core.HttpException
import uniffi.mobile_core.HttpHeader
import uniffi.mobile_core.HttpRequest
import uniffi.mobile_core.HttpResponse
import uniffi.mobile_core.HttpTransport

/**
 * The app's [UrlConnectionTransport] as the live tests run it on the desktop JVM: every request goes through it
 * except `PATCH` (tus upload chunks), which the JVM's `HttpURLConnection` refuses and Android's accepts; those go
 * through the JDK's `HttpClient`. Counts what each carried.
 */
class JvmTransport : HttpTransport {
    private val app = UrlConnectionTransport()
    private val jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build()
    /** `METHOD /path` of each request [UrlConnectionTransport] carried, in order. */
    val viaUrlConnection: MutableList<String> = java.util.Collections.synchronizedList(mutableListOf())
    val patches = AtomicInteger()

    override fun send(request: HttpRequest): HttpResponse {
        if (request.method != "PATCH") {
            viaUrlConnection.add("${request.method} ${URI(request.url).path}")
            return app.send(request)
        }
        patches.incrementAndGet()
        val builder = java.net.http.HttpRequest.newBuilder(URI(request.url))
            .timeout(Duration.ofMillis(request.timeoutMs.toLong()))
            .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.body))
        for (h in request.headers) builder.header(h.name, h.value)
        val answer = try {
            jdk.send(builder.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray())
        } catch (e: java.io.IOException) {
            throw HttpException.Offline("${request.url}: $e")
        }
        val headers = answer.headers().map().flatMap { (name, values) -> values.map { HttpHeader(name, it) } }
        return HttpResponse(answer.statusCode().toUShort(), headers, answer.body())
    }
}

/** No signal at all: every request fails, as the platform's HTTP reports it. */
class NoSignalTransport : HttpTransport {
    val calls = AtomicInteger()

    override fun send(request: HttpRequest): HttpResponse {
        calls.incrementAndGet()
        throw HttpException.Offline("no signal in the basement")
    }
}
