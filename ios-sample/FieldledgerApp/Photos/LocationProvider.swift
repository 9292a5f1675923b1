import CoreLocation
import ForemanCore
import Foundation

/// The phone's latest position while a photo screen is open, to stamp camera shots with where they were taken.
/// Optional: without permission or a fix, photos are saved without GPS.
@MainActor
final class LocationProvider: ObservableObject {
    @Published private(set) var latest: GeoPoint?

    private let manager = CLLocationManager()
    // Weak: this provider holds the relay (the manager holds its delegate only weakly); a strong self would be a cycle.
    private lazy var relay = LocationRelay { [weak self] point in
        guard let self else { return }
        Task { @MainActor in self.latest = point }
    }

    func start() {
        manager.delegate = relay
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
        manager.requestWhenInUseAuthorization()
        manager.startUpdatingLocation()
    }

    func stop() {
        manager.stopUpdatingLocation()
    }
}

/// CLLocationManager's delegate, apart from the main-actor provider: Core Location calls it on the thread that
/// made the manager, and it only hands a plain `GeoPoint` on.
private final class LocationRelay: NSObject, CLLocationManagerDelegate {
    private let onFix: @Sendable (GeoPoint) -> Void

    init(onFix: @escaping @Sendable (GeoPoint) -> Void) {
        self.onFix = onFix
    }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let fix = locations.last else { return }
        // A negative accuracy means the coordinate is not valid.
        guard fix.horizontalAccuracy >= 0 else { return }
        onFix(GeoPoint(
            latitude: fix.coordinate.latitude,
            longitude: fix.coordinate.longitude,
            accuracyM: fix.horizontalAccuracy
        ))
    }

    func locationManager(_ manager: CLLocationManager, didFailWithError error: any Error) {
        // No fix (denied, indoors): photos go without GPS.
    }
}
