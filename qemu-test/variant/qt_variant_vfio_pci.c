// SPDX-License-Identifier: GPL-2.0-only
/*
 * qt_variant_vfio_pci: the smallest VFIO variant driver, for the QEMU proof of gpu-vfio.
 *
 * Debian's kernels build no variant driver for a device QEMU can emulate (nvgrace-gpu-vfio-pci
 * is not even configured), so the boots use this one: vfio_pci_core with nothing added, bound
 * only through driver_override, like nvgrace-gpu-vfio-pci. Its id table matches the stand-in
 * GPU, QEMU's bochs-display (1234:1111, class 0380), and not the boot VGA, which has the same
 * ids and class 0300. modpost turns the override-only entry into the modules.alias line
 *
 *	alias vfio_pci:v00001234d00001111sv*sd*bc03sc80i* qt_variant_vfio_pci
 *
 * which gpu-vfio prefers to vfio_pci's vfio_pci:v*d*sv*sd*bc*sc*i* (fewer wildcards).
 * Built against Debian's linux-headers by qemu-test/variant.sh; never installed on a host.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

static int qt_variant_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops qt_variant_ops = {
	.name = "qt-variant-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = qt_variant_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int qt_variant_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev, &qt_variant_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

static void qt_variant_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

/* PCI_DRIVER_OVERRIDE_DEVICE_VFIO with a class: bochs-display, not the VGA. */
static const struct pci_device_id qt_variant_table[] = {
	{
		.vendor = 0x1234,
		.device = 0x1111,
		.subvendor = PCI_ANY_ID,
		.subdevice = PCI_ANY_ID,
		.class = 0x038000,
		.class_mask = 0xffff00,
		.override_only = PCI_ID_F_VFIO_DRIVER_OVERRIDE,
	},
	{}
};
MODULE_DEVICE_TABLE(pci, qt_variant_table);

static struct pci_driver qt_variant_driver = {
	.name = KBUILD_MODNAME,
	.id_table = qt_variant_table,
	.probe = qt_variant_probe,
	.remove = qt_variant_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};

module_pci_driver(qt_variant_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO variant driver of gpu-vfio's QEMU proof (bochs-display stand-in)");
