import Foundation
import MobileCore

/// The phone core's HTTP on the platform's own stack (`FieldStore.openWithHttp`): the phone build of the library has
/// no HTTP or TLS of its own, so every sync round, pairing, photo upload and report download comes through here and
/// uses iOS's TLS, trust store, proxy settings, App Transport Security and any pinning the session's delegate does.
///
/// The core calls `send` on its own worker threads (never the main thread) and waits for the answer, so it blocks
/// here until the task finishes. Every status is an answer (the core reads 4xx and 5xx itself); only failing to
/// reach the server or to read its answer throws, as `HttpError.Offline`.
public final class URLSessionTransport: HttpTransport, @unchecked Sendable {
    private let session: URLSession

    /// `.ephemeral`: no cookies or cache on disk; the core keeps what it needs in its store.
    public init(session: URLSession = URLSession(configuration: .ephemeral)) {
        self.session = session
    }

    public func send(request: HttpRequest) throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw HttpError.Offline(reason: "not a URL: \(request.url)")
        }
        var req = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData,
                             timeoutInterval: TimeInterval(request.timeoutMs) / 1000)
        req.httpMethod = request.method
        for header in request.headers {
            req.addValue(header.value, forHTTPHeaderField: header.name)
        }
        if request.method == "POST" || request.method == "PATCH" {
            req.httpBody = request.body
        }
        let outcome = Outcome()
        let task = session.dataTask(with: req) { data, response, error in
            defer { outcome.done.signal() }
            if let error {
                outcome.result = .failure(.Offline(reason: "\(request.url): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse {
                let body = data ?? Data()
                if UInt64(body.count) > request.maxResponseBytes {
                    outcome.result = .failure(.TooLarge(limitBytes: request.maxResponseBytes))
                } else {
                    let headers = http.allHeaderFields.compactMap { name, value in
                        (name as? String).map { HttpHeader(name: $0, value: "\(value)") }
                    }
                    outcome.result = .success(HttpResponse(status: UInt16(clamping: http.statusCode),
                                                           headers: headers, body: body))
                }
            }
        }
        task.resume()
        outcome.done.wait()
        return try outcome.result.get()
    }

    /// The task's answer, handed from its completion handler to the waiting `send` (the semaphore orders the two).
    private final class Outcome: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var result: Result<HttpResponse, HttpError> = .failure(.Offline(reason: "no HTTP answer"))
    }
}
