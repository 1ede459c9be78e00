/*
 * Image headers and 32-bit entry of tlaunch-launcher.
 *  - Multiboot2 header (Multiboot2 Specification 2.0 §3.1): magic, architecture, length,
 *    checksum, a module-alignment tag and the end tag. GRUB: `multiboot2 /tlaunch-launcher.elf`.
 *  - Multiboot 1 header (Multiboot 0.6.96 §3.1.1), so `qemu -kernel` can boot the ELF directly.
 *  - Intel MLE header (Intel TXT MLE Developer's Guide, "MLE Header"; docs/reference/lcp.md §11),
 *    found by lcp2_mlehash by its UUID at a 16-byte boundary. The launcher is not started by
 *    GETSEC[SENTER]; the header is there so the image can be hashed and named in an LCP.
 * Both loaders enter at _start in flat 32-bit protected mode, paging off, with the magic in EAX
 * and the boot information address in EBX.
 */
	.set MB2_MAGIC, 0xE85250D6
	.set MB2_ARCH_I386, 0
	.set MB1_MAGIC, 0x1BADB002
	.set MB1_FLAGS, 0x00000003	/* bit 0: page-align modules, bit 1: memory map */
	.set BOOT_CS, 0x10		/* Linux 32-bit boot protocol: __BOOT_CS / __BOOT_DS */
	.set BOOT_DS, 0x18

	.section .multiboot2, "a"
	.balign 8
	.global mb2_header
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long 0x100000000 - (MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.balign 8
	.short 6, 0			/* module alignment tag */
	.long 8
	.balign 8
	.short 0, 0			/* end tag */
	.long 8
mb2_header_end:

	.section .multiboot1, "a"
	.balign 4
	.global mb1_header
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long 0x100000000 - (MB1_MAGIC + MB1_FLAGS)

	.section .mle_header, "a"
	.balign 16
	.global mle_header
mle_header:
	/* UUID {0x9082ac5a, 0x476f, 0x74a7, 0x5c0f, {0x55,0xa2,0xcb,0x51,0xb6,0x42}}, stored LE */
	.byte 0x5a, 0xac, 0x82, 0x90, 0x6f, 0x47, 0xa7, 0x74
	.byte 0x0f, 0x5c, 0x55, 0xa2, 0xcb, 0x51, 0xb6, 0x42
	.long 0x34			/* length of this header */
	.long 0x00020003		/* version 2.3 (same layout as tboot's) */
	.long __mle_entry_off		/* offsets are from the start of the image (0x100000) */
	.long 0				/* first valid page */
	.long __mle_start_off
	.long __mle_end_off
	.long 0x00000020		/* capabilities: pcr_map_da only (no RLP wakeup, no TPR) */
	.long __mle_cmdline_start_off
	.long __mle_cmdline_end_off

	/* The command-line area inside the measured range (like tboot's g_cmdline): the launcher
	 * copies its own command line here at boot, so lcp2_mlehash --cmdline gives the digest of
	 * the image as it is in memory. */
	.section .mle_cmdline, "aw"
	.balign 16
	.global mle_cmdline
mle_cmdline:
	.space 512

	.section .data
	.balign 16
gdt:
	.quad 0
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x10: code, base 0, limit 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x18: data, base 0, limit 4 GiB */
gdt_end:
	.balign 4
	.short 0
gdt_descriptor:
	.short gdt_end - gdt - 1
	.long gdt

	.section .text.entry, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	movl %eax, %ebp			/* Multiboot magic */
	movl %ebx, %esi			/* boot information address */
	movl $__bss_start, %edi		/* zero .bss (the stack is in it) */
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl $__stack_top, %esp
	lgdt gdt_descriptor
	ljmp $BOOT_CS, $1f
1:	movw $BOOT_DS, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	/* Enable SSE if the CPU has SSE and FXSR (CPUID.1:EDX bits 25, 24); only the SHA-NI code
	 * uses XMM registers, and it runs only if CPUID also reports SHA. */
	movl $1, %eax
	cpuid
	andl $((1 << 25) | (1 << 24)), %edx
	cmpl $((1 << 25) | (1 << 24)), %edx
	jne 2f
	movl %cr0, %eax
	andl $~((1 << 2) | (1 << 3)), %eax	/* EM = 0, TS = 0 */
	orl $(1 << 1), %eax			/* MP = 1 */
	movl %eax, %cr0
	movl %cr4, %eax
	orl $((1 << 9) | (1 << 10)), %eax	/* OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
2:	pushl %esi
	pushl %ebp
	call launcher_main
3:	cli
	hlt
	jmp 3b

	/* void launcher_jump_linux(uint32_t entry, uint32_t boot_params): Linux boot.rst, 32-bit
	 * boot protocol: flat segments 0x10/0x18, interrupts off, ESI = boot_params,
	 * EBP = EDI = EBX = 0. */
	.text
	.global launcher_jump_linux
launcher_jump_linux:
	cli
	movl 4(%esp), %eax
	movl 8(%esp), %esi
	lgdt gdt_descriptor
	ljmp $BOOT_CS, $4f
4:	movw $BOOT_DS, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movw %cx, %ss
	xorl %ebp, %ebp
	xorl %edi, %edi
	xorl %ebx, %ebx
	jmp *%eax

	.section .note.GNU-stack, "", @progbits
