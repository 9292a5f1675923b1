import ForemanCore
import PhotosUI
import SwiftUI

/// "Pick photos" (the system photo picker: no library permission needed) and "Take photo" (the camera, stamped with
/// the time and the latest GPS fix). Each photo is written to a file first; the screen's view model attaches it on save.
struct PhotoSourceButtons: View {
    @ObservedObject var location: LocationProvider
    let onPicked: (PickedPhoto) -> Void
    let onError: (String) -> Void

    @State private var items: [PhotosPickerItem] = []
    @State private var showCamera = false

    var body: some View {
        HStack(spacing: 20) {
            // `.compatible` asks the picker for JPEG rather than HEIC, which the core does not decode.
            PhotosPicker(selection: $items, maxSelectionCount: 10, matching: .images, preferredItemEncoding: .compatible) {
                Label("Pick photos", systemImage: "photo.on.rectangle")
            }
            if CameraPicker.isAvailable {
                Button {
                    showCamera = true
                } label: {
                    Label("Take photo", systemImage: "camera")
                }
            }
        }
        .buttonStyle(.borderless)
        .onChange(of: items) { picked in
            guard !picked.isEmpty else { return }
            Task {
                await importPicked(picked)
                items = []
            }
        }
        .fullScreenCover(isPresented: $showCamera) {
            CameraPicker { image in
                showCamera = false
                if let image { keepCameraShot(image) }
            }
            .ignoresSafeArea()
        }
    }

    private func keepCameraShot(_ image: UIImage) {
        do {
            let file = try PhotoFiles.write(cameraImage: image)
            onPicked(PickedPhoto(path: file.path, capturedAt: Date(), location: location.latest))
        } catch {
            onError("The photo could not be kept: \(error)")
        }
    }

    /// Picked photos carry their own EXIF time and GPS, which the core reads: no context is passed.
    private func importPicked(_ picked: [PhotosPickerItem]) async {
        for item in picked {
            do {
                guard let data = try await item.loadTransferable(type: Data.self) else { continue }
                // Off the main thread: a photo is several megabytes to write (or convert).
                let file = try await Task.detached(priority: .userInitiated) { try PhotoFiles.write(picked: data) }.value
                onPicked(PickedPhoto(path: file.path))
            } catch {
                onError("A picked photo could not be read: \(error)")
            }
        }
    }
}
