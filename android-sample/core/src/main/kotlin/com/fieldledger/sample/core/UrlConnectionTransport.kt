package com.fieldledger.sample.core

import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL
import uniffi.mobile_core.HttpException
import uniffi.mobile_core.HttpHeader
import uniffi.mobile_core.HttpRequest
import uniffi.mobile_core.HttpResponse
import uniffi.mobile_core.HttpTransport

/**
 * The phone core's HTTP on the platform's own stack (`FieldStore.openWithHttp`): the phone build of the library has
 * no HTTP or TLS of its own, so every sync round, pairing, photo upload and report download comes through here and
 * uses Android's TLS, trust store (including user-added CAs the app's network security config allows), proxy and
 * any pinning the app configures. Called on the core's worker threads, blocking, never on the UI thread.
 *
 * Every status is an answer (the core reads 4xx and 5xx itself); only failing to reach the server or to read its
 * answer throws, as [HttpException.Offline]. Android's `HttpURLConnection` (OkHttp inside) accepts `PATCH`, which
 * tus uploads use; the desktop JVM's refuses it (`ProtocolException`), which arrives as `Offline`. [open] makes the
 * connection, e.g. to set an `SSLSocketFactory` for pinning.
 */
class UrlConnectionTransport(
    private val open: (URL) -> HttpURLConnection = { it.openConnection() as HttpURLConnection },
) : HttpTransport {
    override fun send(request: HttpRequest): HttpResponse {
        val connection = try {
            open(URL(request.url))
        } catch (e: IOException) {
            throw HttpException.Offline("${request.url}: $e")
        }
        try {
            connection.requestMethod = request.method
            // A read timeout bounds each wait for data, not the whole exchange: close enough for the core's budgets.
            val timeout = request.timeoutMs.coerceAtMost(Int.MAX_VALUE.toULong()).toInt()
            connection.connectTimeout = minOf(timeout, 30_000)
            connection.readTimeout = timeout
            connection.instanceFollowRedirects = false
            connection.useCaches = false
            for (header in request.headers) connection.addRequestProperty(header.name, header.value)
            if (request.method == "POST" || request.method == "PATCH") {
                connection.doOutput = true
                connection.setFixedLengthStreamingMode(request.body.size)
                connection.outputStream.use { it.write(request.body) }
            }
            val status = connection.responseCode
            // Announced too long: refused before reading (the body may never come).
            if (connection.contentLengthLong > 0 && connection.contentLengthLong.toULong() > request.maxResponseBytes) {
                connection.disconnect()
                throw HttpException.TooLarge(request.maxResponseBytes)
            }
            val stream = if (status >= 400) connection.errorStream else connection.inputStream
            val body = stream?.use { read(it, request.maxResponseBytes) } ?: ByteArray(0)
            val headers = connection.headerFields.flatMap { (name, values) ->
                if (name == null) emptyList() else values.map { HttpHeader(name, it) } // null: the status line
            }
            return HttpResponse(status.toUShort(), headers, body)
        } catch (e: IOException) {
            connection.disconnect()
            throw HttpException.Offline("${request.url}: $e")
        }
    }

    /** The body, refusing more than [limit] bytes (the stream is closed by the caller, keeping the connection). */
    private fun read(input: InputStream, limit: ULong): ByteArray {
        val out = ByteArrayOutputStream()
        val buffer = ByteArray(64 * 1024)
        while (true) {
            val n = input.read(buffer)
            if (n < 0) return out.toByteArray()
            if (out.size().toULong() + n.toULong() > limit) throw HttpException.TooLarge(limit)
            out.write(buffer, 0, n)
        }
    }
}
