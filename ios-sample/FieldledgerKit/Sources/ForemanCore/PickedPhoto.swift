import Foundation
import MobileCore

/// A photo the camera or picker handed over, with what the camera knew (time, GPS); attached on save.
public struct PickedPhoto: Hashable, Identifiable, Sendable {
    /// A file the core can read (JPEG or PNG); the core copies it into its own media folder on attach.
    public var path: String
    public var context: PhotoContext

    public var id: String { path }

    public init(path: String, context: PhotoContext = PhotoContext(capturedAtMs: nil, location: nil)) {
        self.path = path
        self.context = context
    }

    /// A photo taken now, at `location` if the phone has a fix: the time as milliseconds since the Unix epoch.
    public init(path: String, capturedAt: Date, location: GeoPoint?) {
        self.init(path: path, context: PhotoContext(
            capturedAtMs: Int64((capturedAt.timeIntervalSince1970 * 1000).rounded()),
            location: location
        ))
    }
}

extension Array where Element == PickedPhoto {
    /// Drops the first photo equal to `photo` (a photo added twice stays once).
    mutating func removeOne(_ photo: PickedPhoto) {
        if let i = firstIndex(of: photo) { remove(at: i) }
    }
}
